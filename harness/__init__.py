"""What the tests and the benchmarks both use to stand Nobat up: server processes and
clusters, the demo office, PostgreSQL databases and Redis, builders of offices, users and
tokens, bulk queues and history, and the counter bridge's serial and Modbus devices.

A top-level package rather than ``tests/support``: ``python bench/bench_x.py`` imports it
without importing the ``tests`` package (its conftests and fixtures are pytest's). It is
not installed (``[tool.setuptools.packages.find]`` leaves it out); the repository root is
on ``sys.path`` for pytest (``pythonpath``) and for the benches (``bench/benchlib.py``).
"""
