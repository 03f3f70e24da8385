"""A speed patch of matrix-nio: each response schema's validator built once.

nio validates every response against its JSON schema (kept: a malformed
response from a homeserver must become an error, not a crash). But its
`validate_json` builds a new jsonschema validator, with its reference
registry, on every call, for every sync; in the benchmark's profile that
building was most of the validation's cost, itself about a sixth of the
bot's CPU. Here the validator of each schema is built on first use and
kept: the same validator class, schema and format checker as nio's, so
what passes and what fails is unchanged.

`apply()` is idempotent; the Matrix transport calls it at import.
"""

from __future__ import annotations

from typing import Any

import nio.crypto.olm_machine
import nio.events.misc
import nio.responses
import nio.schemas

_VALIDATORS: dict[int, tuple[Any, Any]] = {}  # id(schema) -> (schema, validator)
_MODULES = (nio.schemas, nio.responses, nio.crypto.olm_machine, nio.events.misc)


def validate_json(instance: Any, schema: Any) -> None:
    """nio's `validate_json`, with the validator of `schema` kept."""
    kept = _VALIDATORS.get(id(schema))
    if kept is None or kept[0] is not schema:
        validator = nio.schemas.Validator(schema, format_checker=nio.schemas.Checker)
        kept = _VALIDATORS[id(schema)] = (schema, validator)
    kept[1].validate(instance)


def apply() -> None:
    for module in _MODULES:
        module.validate_json = validate_json  # type: ignore[attr-defined]
