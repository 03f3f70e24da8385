"""Configuration: the TOML schema (`schema.py`), the calendar settings
(`schedule.py`) and the problem collector (`problems.py`).

The names everyone needs are importable from `bot.config` itself.
"""

from bot.config.schema import (
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
    "Config",
    "ConfigError",
    "GroupConfig",
    "MatrixConfig",
    "Member",
    "StorageConfig",
    "load_config",
    "parse_config",
]
