"""The process engine (arrives with its issue)."""
