"""Configuration: the file and its loading (`schema.py`), `[matrix]`
(`matrix.py`), `[[groups]]` (`groups.py`), the calendar settings
(`schedule.py`) and the problem collector (`problems.py`).

The names everyone needs are importable from `bot.config` itself.
"""

from bot.config.schema import (
    ACCEPTED_KEYS,
    Config,
    ConfigError,
    GroupConfig,
    MatrixConfig,
    Member,
    StorageConfig,
    load_config,
    parse_config,
)

__all__ = [
    "ACCEPTED_KEYS",
    "Config",
    "ConfigError",
    "GroupConfig",
    "MatrixConfig",
    "Member",
    "StorageConfig",
    "load_config",
    "parse_config",
]
