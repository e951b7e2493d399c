"""Benchmarks that print timings and ratios (never asserted in tests).

Run ``python -m ttm_core.bench <name> [options]``; ``<name>`` is a submodule of this package
(``motion``, ``attention``, ``pipeline``, ...) exposing ``main(argv) -> int``.
"""
