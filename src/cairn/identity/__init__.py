"""The identity engine (arrives with its issue)."""
