"""The docs stay true to the code and to themselves.

- every config key the schema accepts is documented in docs/configuration.md
  and appears in config.example.toml (commented out counts), and neither
  names a key the bot would refuse;
- README.md stays short, with `scripts/try` and `scripts/test` on its first
  screen, and every relative link in README.md, docs/ and bench/RESULTS.md
  reaches a file (and a heading, for `#anchors`);
- the rules of the record are stated in one place only (docs/guide.md);
- `python -m bench` writes bench/RESULTS.md on a full run, never on a smoke run.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import bot.config
from bot.config import ConfigError, parse_config

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"
EXAMPLE = REPO / "config.example.toml"
CONFIGURATION = DOCS / "configuration.md"
RESULTS_MD = REPO / "bench" / "RESULTS.md"
MARKDOWN = [README, *sorted(DOCS.glob("**/*.md")), RESULTS_MD]

# Where each kind of table the unknown-key check knows sits in the file.
TABLE_PATHS = {
    "": "",
    "matrix": "matrix",
    "teams": "teams",
    "storage": "storage",
    "privacy": "privacy",
    "ops": "ops",
    "web": "web",
    "email": "email",
    "inbound": "email.inbound",
    "group": "groups",
    "cadence": "groups.cadence",
    "announce": "groups.announce",
    "member": "groups.members",
}
ENVIRON = {"ALLIES_BOT_PASSWORD": "secret", "ALLIES_BOT_TEAMS_APP_PASSWORD": "secret"}


# --- the keys the schema accepts ------------------------------------------


def _key_tables(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(
            isinstance(k, str)
            and isinstance(v, set | frozenset | tuple | list)
            and all(isinstance(x, str) for x in v)
            for k, v in value.items()
        )
    )


def accepted_keys() -> dict[str, frozenset[str]]:
    """The allowed keys per kind of table, as the unknown-key check uses
    them: `ACCEPTED_KEYS` (or `KNOWN_KEYS`) from `bot.config`, else from
    whichever of its modules holds it."""
    holders = [bot.config]
    for info in pkgutil.iter_modules(bot.config.__path__):
        holders.append(importlib.import_module(f"bot.config.{info.name}"))
    for holder in holders:
        for name in ("ACCEPTED_KEYS", "KNOWN_KEYS"):
            value = getattr(holder, name, None)
            if _key_tables(value):
                return {kind: frozenset(keys) for kind, keys in value.items()}
    pytest.fail("no ACCEPTED_KEYS / KNOWN_KEYS mapping (kind of table -> keys) in bot.config")


def dotted_keys() -> set[str]:
    """Every accepted key by its full name: `matrix.trust`, `groups.cadence.every`."""
    tables = accepted_keys()
    unplaced = set(tables) - set(TABLE_PATHS)
    assert not unplaced, f"new kinds of table {unplaced}: add where they sit to TABLE_PATHS"
    return {
        f"{TABLE_PATHS[kind]}.{key}" if TABLE_PATHS[kind] else key
        for kind, keys in tables.items()
        for key in keys
    }


# --- config.example.toml, commented-out lines included ----------------------

HEADER_RE = re.compile(r"^\s*(?:#\s*)?\[\[?\s*([A-Za-z0-9_.]+)\s*\]\]?\s*(?:#.*)?$")
KEY_RE = re.compile(r"^\s*(?:#\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$")
FREE_TABLES = {"groups.names"}  # keys are people, not settings


def example_keys() -> dict[str, Any]:
    """Each table and key the example names, with its example value (None
    where the value is not TOML on its own line)."""
    found: dict[str, Any] = {}
    table = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if header := HEADER_RE.match(line):
            table = header[1]
            found.setdefault(table, None)
        elif (key := KEY_RE.match(line)) and table not in FREE_TABLES:
            try:
                value = tomllib.loads(f"v = {key[2]}")["v"]
            except tomllib.TOMLDecodeError:
                value = None
            found.setdefault(f"{table}.{key[1]}" if table else key[1], value)
    return found


def test_the_example_is_valid_toml_and_a_valid_config() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    parse_config(raw, EXAMPLE, ENVIRON)  # raises ConfigError listing every problem


def test_every_accepted_key_is_in_the_example() -> None:
    missing = dotted_keys() - set(example_keys())
    assert not missing, f"not in config.example.toml (add them, commented out): {sorted(missing)}"


def test_the_example_names_no_key_the_bot_refuses() -> None:
    unknown = set(example_keys()) - dotted_keys()
    assert not unknown, f"config.example.toml names keys the bot refuses: {sorted(unknown)}"


def _documented_keys() -> set[str]:
    """The names in the first column of docs/configuration.md's key table."""
    text = CONFIGURATION.read_text(encoding="utf-8")
    section = text.split("## Every key", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            names |= {n.strip("[]") for n in re.findall(r"`([^`]+)`", first)}
    return names


def test_every_accepted_key_is_documented() -> None:
    missing = dotted_keys() - _documented_keys()
    assert not missing, f"not in docs/configuration.md's key table: {sorted(missing)}"


def test_the_documentation_names_no_key_the_bot_refuses() -> None:
    unknown = _documented_keys() - dotted_keys()
    assert not unknown, f"docs/configuration.md documents keys the bot refuses: {sorted(unknown)}"


def _table_at(raw: dict[str, Any], path: str) -> dict[str, Any]:
    """The (first) table at a dotted path, made when missing."""
    node: Any = raw
    for part in path.split(".") if path else ():
        child = node.setdefault(part, {})
        node = child[0] if isinstance(child, list) else child
    return node


def _unknown_key_problems(raw: dict[str, Any]) -> list[str]:
    try:
        parse_config(raw, EXAMPLE, ENVIRON)
    except ConfigError as exc:
        return [p for p in exc.problems if "unknown key" in p]
    return []


def _kinds() -> Iterator[tuple[str, str, frozenset[str]]]:
    for kind, keys in sorted(accepted_keys().items()):
        yield kind, TABLE_PATHS[kind], keys


def test_the_collected_keys_are_the_ones_the_checker_accepts() -> None:
    """Guards the collection above: each table with all its keys (the
    example's values where it has them) gets no unknown-key problem, and a
    made-up key in it gets one."""
    base = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    samples = example_keys()
    for kind, path, keys in _kinds():
        raw = copy.deepcopy(base)
        table = _table_at(raw, path)
        for key in keys - set(table):
            sample = samples.get(f"{path}.{key}" if path else key)
            table[key] = sample if sample is not None else {}
        assert _unknown_key_problems(raw) == [], kind
        raw = copy.deepcopy(base)
        _table_at(raw, path)["zz_no_such_key"] = "x"
        problems = _unknown_key_problems(raw)
        assert len(problems) == 1 and "zz_no_such_key" in problems[0], (kind, problems)


# --- README and links ----------------------------------------------------


def test_readme_is_short_and_starts_with_how_to_try_and_test() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move detail to docs/"
    first_screen = "\n".join(lines[:40])
    assert "scripts/try" in first_screen and "scripts/test" in first_screen


FENCE_RE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped,
    spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE_RE.sub("", path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    found = set()
    for match in HEADING_RE.finditer(text):
        base = slug(match[2])
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_slugs_are_githubs() -> None:
    assert slug("Run it on a real homeserver (Matrix)") == "run-it-on-a-real-homeserver-matrix"
    assert slug("Access: `!mydata`") == "access-mydata"
    assert slug("The record: outputs, sub-groups, report") == "the-record-outputs-sub-groups-report"


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_reaches_a_file_and_heading(page: Path) -> None:
    broken = []
    for target in LINK_RE.findall(FENCE_RE.sub("", page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.relative_to(REPO)}")
    assert not broken, broken


# --- the rules of the record, once ------------------------------------------


def test_the_rules_of_the_record_are_stated_once() -> None:
    pages = [README, *sorted(DOCS.glob("**/*.md"))]
    stating = [p.relative_to(REPO).as_posix() for p in pages if "counts as held" in p.read_text()]
    assert stating == ["docs/guide.md"], stating
    headings = re.findall(r"^## The rules of the record$", (DOCS / "guide.md").read_text(), re.M)
    assert len(headings) == 1


# --- bench/RESULTS.md ----------------------------------------------------


def test_results_md_has_a_marked_section_per_benchmark() -> None:
    text = RESULTS_MD.read_text(encoding="utf-8")
    for name in ("matrix", "teams"):
        start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
        assert text.count(start) == text.count(end) == 1 and text.index(start) < text.index(end)


def test_a_full_run_writes_results_md_and_a_smoke_run_does_not(tmp_path, monkeypatch) -> None:
    from bench import cli

    monkeypatch.setattr(cli, "_synapse_version", lambda: None)  # no Synapse install
    results_md = tmp_path / "RESULTS.md"
    results_md.write_text(RESULTS_MD.read_text(encoding="utf-8"), encoding="utf-8")
    before = results_md.read_text(encoding="utf-8")
    quick = ["--skip-e2e", "--skip-micro", "--output", str(tmp_path / "r.json")]
    assert cli.main(["--smoke", *quick, "--results-md", str(results_md)]) == 0
    assert results_md.read_text(encoding="utf-8") == before
    assert cli.main([*quick, "--results-md", str(results_md)]) == 0
    after = results_md.read_text(encoding="utf-8")
    assert "### Matrix: `python -m bench`" in after
    history = before.split("<!-- bench:matrix:end -->", 1)[1]
    assert after.endswith(history)  # the documented runs below are kept
