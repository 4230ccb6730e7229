"""Oneness: a Slack bot for weekly team discord check-ins."""
