"""Cairn: an open-source, self-hosted, no-code customer-management platform."""

__version__ = "0.1.0"
