"""`bot.config.ACCEPTED_KEYS` is the unknown-key check's own list, read-only,
so a test of the docs against it checks what the loader really accepts."""

from __future__ import annotations

import pytest

from bot.config import ACCEPTED_KEYS
from bot.config.problems import Checker


@pytest.mark.parametrize("kind", sorted(ACCEPTED_KEYS))
def test_every_listed_key_passes_the_check_and_nothing_else(kind: str) -> None:
    check = Checker()
    check.unknown_keys({**dict.fromkeys(ACCEPTED_KEYS[kind]), "colour": 1}, kind, "t")
    assert check.problems == ["t.colour: unknown key (check the spelling in config.example.toml)"]


def test_the_list_cannot_be_changed_from_outside() -> None:
    with pytest.raises(TypeError):
        ACCEPTED_KEYS["matrix"] = frozenset()  # type: ignore[index]
    assert all(isinstance(keys, frozenset) for keys in ACCEPTED_KEYS.values())
