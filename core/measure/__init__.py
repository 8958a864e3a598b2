"""Measuring a model: quality metrics with intervals, latency and memory profiles, and the
child-process entry point that runs them."""
