"""Benchmark of allies-bot against a real Synapse, with a minimal-client floor.

`python -m bench` (see docs/operating.md, "Reliability and performance"); `--smoke`
for CI. A full run writes its tables into bench/RESULTS.md.
"""
