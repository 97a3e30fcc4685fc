"""Benchmarks: scripts that report figures (tests assert behaviour)."""
