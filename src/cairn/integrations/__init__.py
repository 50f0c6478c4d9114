"""The integrations engine (arrives with its issue)."""
