"""Benchmarks: `python -m bench.<name>` (performance is measured here, never in timed unit tests)."""
