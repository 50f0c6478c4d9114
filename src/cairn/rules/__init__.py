"""The rules engine (arrives with its issue)."""
