"""Where a peer's defaults come from: flags, then environment, then config file."""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from codec import toml_line_of
from peer._errors import PeerError

__all__ = [
    "ConfigError",
    "PeerConfig",
    "SmtpConfig",
    "config_path",
    "default_name",
    "load_config",
]

ENV_RELAY = "HELPLINE_RELAY"
ENV_CONFIG = "HELPLINE_CONFIG"


class ConfigError(PeerError):
    """The config file cannot be read; fix or remove it (its path is in the message)."""


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """``[smtp]``: where ``/invite email`` sends invitations instead of a mail program."""

    host: str
    sender: str
    port: int = 587
    #: "starttls" (the default), "tls" (SMTP over TLS, port 465) or "none" (a local relay).
    security: str = "starttls"
    username: str | None = None
    #: Read from the environment variable ``password_env`` names, never from the file.
    password: str | None = None


@dataclass(frozen=True, slots=True)
class PeerConfig:
    relay: str | None = None
    name: str | None = None
    #: Defaults for ``helpline start`` (the one-click start): session type, tracking code.
    session_type: str | None = None
    tracking: str | None = None
    smtp: SmtpConfig | None = None
    #: Seconds the relay may leave a ping unanswered before the session counts as lost.
    relay_timeout: float | None = None
    #: Seconds a session keeps reconnecting after a drop before it ends (SPEC X3).
    resume_timeout: float | None = None
    #: Seconds an invitation's own code stays open if nobody uses it (SPEC S4).
    invitation_lifetime: float | None = None


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
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read {path}: {e}") from None
        _refuse_unknown(path, text, data, "", _KEYS)
        if isinstance(data.get("smtp"), dict):
            _refuse_unknown(path, text, data["smtp"], "smtp.", _SMTP_KEYS)  # type: ignore[arg-type]
    relay = os.environ.get(ENV_RELAY) or data.get("relay")
    if relay is not None and not isinstance(relay, str):
        raise ConfigError(f'{path}: relay must be a string like "ws://HOST:PORT"')
    name, session_type, tracking = (_text(path, data, key) for key in ("name", "type", "tracking"))
    smtp = _smtp(path, data.get("smtp"))
    relay_timeout = _seconds(path, data, "relay_timeout", 0.5, 600)
    resume_timeout = _seconds(path, data, "resume_timeout", 1, 3600)
    invitation_lifetime = _seconds(path, data, "invitation_lifetime", 60, 30 * 24 * 3600)
    return PeerConfig(
        relay=relay,
        name=name,
        session_type=session_type,
        tracking=tracking,
        smtp=smtp,
        relay_timeout=relay_timeout,
        resume_timeout=resume_timeout,
        invitation_lifetime=invitation_lifetime,
    )


def _seconds(
    path: Path, data: dict[str, object], key: str, low: float, high: float
) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{path}: {key} is a number of seconds from {low:g} to {high:g}")
    return float(value)


_KEYS = {
    "relay",
    "name",
    "type",
    "tracking",
    "smtp",
    "relay_timeout",
    "resume_timeout",
    "invitation_lifetime",
}
_SMTP_KEYS = {"host", "port", "from", "security", "username", "password_env"}


def _refuse_unknown(
    path: Path, text: str, table: dict[str, object], prefix: str, known: set[str]
) -> None:
    """A misspelt key would be ignored in silence; say which one, where, and what is known."""
    unknown = sorted(set(table) - known)
    if unknown:
        key = prefix + unknown[0]
        line = toml_line_of(text, key)
        at = f"line {line}: " if line else ""
        raise ConfigError(f"{path}: {at}{key}: unknown setting; known: {', '.join(sorted(known))}")


def _smtp(path: Path, table: object) -> SmtpConfig | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: smtp must be a table: [smtp]")
    host, sender = _text(path, table, "host"), _text(path, table, "from")
    if not host or not sender:
        raise ConfigError(f'{path}: [smtp] needs host = "..." and from = "you@example.org"')
    security = _text(path, table, "security") or "starttls"
    if security not in ("starttls", "tls", "none"):
        raise ConfigError(f'{path}: smtp.security must be "starttls", "tls" or "none"')
    port = table.get("port", 465 if security == "tls" else 587)
    if type(port) is not int or not 0 < port < 65536:
        raise ConfigError(f"{path}: smtp.port must be a port number")
    password_env = _text(path, table, "password_env")
    return SmtpConfig(
        host=host,
        sender=sender,
        port=port,
        security=security,
        username=_text(path, table, "username"),
        password=os.environ.get(password_env) if password_env else None,
    )


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
