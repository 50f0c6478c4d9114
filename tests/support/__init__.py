"""Helpers for Cairn's tests (fixtures live in ``tests/conftest.py``, the machinery here).

``tests/`` has no ``__init__.py``: pytest puts ``tests/`` on ``sys.path`` for the root
conftest, so test modules import these helpers as ``from support.db import ...``.
"""
