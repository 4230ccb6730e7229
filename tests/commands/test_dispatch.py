"""`/oneness` over signed HTTP against the local Slack."""

from tests.harness import Oneness


def test_help_lists_every_command(oneness: Oneness) -> None:
    seen = oneness.slash("UANN", "help")
    assert "/oneness setup #channel [name]" in seen
    assert "/oneness forget me" in seen


def test_setup_one_line_makes_me_lead(oneness: Oneness) -> None:
    seen = oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    assert "Team *Rocket* is set up in <#CTEAM>" in seen
    seen = oneness.slash("ULEAD", "add <@UANN|ann> @bob", channel="CTEAM")
    assert "<@UANN>" in seen and "<@UBOB>" in seen
