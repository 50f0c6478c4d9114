"""The reports engine (arrives with its issue)."""
