"""Benchmarks: measured numbers, printed as a table and written to .bench/results.json.

Each module in `SUITES` exposes `run() -> dict[str, float]` (flat metric name -> number).
`python -m benchmarks [suite ...]` runs them (all by default).
"""
