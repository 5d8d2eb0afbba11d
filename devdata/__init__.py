"""Synthetic data for benchmarks and tests: an app of its own, installed by their settings only."""
