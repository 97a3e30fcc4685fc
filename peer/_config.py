"""Where a peer's defaults come from: flags, then environment, then config file."""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from peer._errors import PeerError

__all__ = ["ConfigError", "PeerConfig", "config_path", "default_name", "load_config"]

ENV_RELAY = "HELPLINE_RELAY"
ENV_CONFIG = "HELPLINE_CONFIG"


class ConfigError(PeerError):
    """The config file cannot be read; fix or remove it (its path is in the message)."""


@dataclass(frozen=True, slots=True)
class PeerConfig:
    relay: str | None = None
    name: str | None = None
    #: Defaults for ``helpline start`` (the one-click start): session type, tracking code.
    session_type: str | None = None
    tracking: str | None = None


def config_path() -> Path:
    override = os.environ.get(ENV_CONFIG)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("helpline")) / "config.toml"


def load_config() -> PeerConfig:
    """The config file's settings, with ``HELPLINE_RELAY`` taking precedence."""
    path = config_path()
    data: dict[str, object] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read {path}: {e}") from None
    relay = os.environ.get(ENV_RELAY) or data.get("relay")
    if relay is not None and not isinstance(relay, str):
        raise ConfigError(f'{path}: relay must be a string like "ws://HOST:PORT"')
    name, session_type, tracking = (_text(path, data, key) for key in ("name", "type", "tracking"))
    return PeerConfig(relay=relay, name=name, session_type=session_type, tracking=tracking)


def _text(path: Path, data: dict[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}: {key} must be a string")
    return value


def default_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "guest"
