"""Whether the tests run under CI, where a missing server must fail, not skip."""

from __future__ import annotations

import os


def in_ci() -> bool:
    """`CI` set to anything but empty, 0, false or no (GitHub, GitLab and
    most others set `CI=true`)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
