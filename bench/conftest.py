"""Registers the `bench` marker (pyproject's `markers` list is not ours to edit)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bench: the benchmark in smoke mode (correctness only, no timings asserted)"
    )
