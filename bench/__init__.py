"""Cairn benchmarks: ``python -m bench`` (or ``make bench``).

``bench.harness`` holds the scenario registry, the per-database environments (a fresh SQLite
file or a throw-away PostgreSQL database), the server subprocess and the report; scenario
modules (``bench.core_records``, later ones) register themselves with ``@scenario``.
"""
