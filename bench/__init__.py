"""Benchmark of allies-bot against a real Synapse, with a minimal-client floor.

`python -m bench` (see README, "Reliability and performance"); `--smoke` for CI.
"""
