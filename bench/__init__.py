"""Benchmarks: `make bench` (= `python -m bench.run`). They print figures and ratios, never fail."""
