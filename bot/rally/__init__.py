"""The rally: a drop opens one per member; offers, one owner, follow-ups."""
