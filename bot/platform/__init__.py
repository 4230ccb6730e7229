"""The platform every feature stands on: config, deps, Slack client, delivery, work."""
