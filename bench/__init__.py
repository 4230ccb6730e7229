"""Benchmarks: scripts that measure and report; they never assert."""
