"""Teams: setup, membership, roles, account changes."""
