"""Benchmarks: the API beside a plain Django baseline over the same rows (see README.md)."""
