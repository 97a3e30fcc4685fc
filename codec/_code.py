"""Session codes and join links.

A session code is what a rep reads out on the phone: four digits, a dash,
six digits. The part before the dash is the relay room id (routing only,
the relay sees it); the part after is the secret, which never leaves either
machine: it is the password of the SPAKE2 exchange.

A join link is a ``helpline:`` URL, handled by the Helpline program and
never by a browser, because a page the relay serves could read anything in
the URL (fragment included)::

    helpline://relay.example.org/4821-093617            wss://relay.example.org
    helpline://relay.example.org:8443/hl/4821-093617    wss://relay.example.org:8443/hl
    helpline://127.0.0.1:8765/4821-093617?tls=off       ws://127.0.0.1:8765

The last path segment is the code; what comes before it is the relay's
address (host, port, and any path prefix a reverse proxy adds). TLS is the
default; ``?tls=off`` says the relay speaks plain ``ws``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

from codec._errors import HelplineError

__all__ = [
    "LINK_SCHEME",
    "ROOM_DIGITS",
    "SECRET_DIGITS",
    "BadCodeError",
    "JoinTarget",
    "SessionCode",
]

ROOM_DIGITS = 4
SECRET_DIGITS = 6
LINK_SCHEME = "helpline"
# Beyond this, a typed code is certainly not ours; keeps a pasted essay out of SPAKE2.
_MAX_CODE_CHARS = 64
# What people type between the groups: spaces and any dash a keyboard or a
# word processor makes (hyphen-minus, hyphen, non-breaking hyphen, figure
# dash, en dash, em dash, minus sign, small and full-width hyphen-minus).
_SEPARATORS = re.compile("[\\s\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d]+")
_FORM = (
    f"a session code is {ROOM_DIGITS} digits, a dash and {SECRET_DIGITS} more digits, "
    "as the rep reads it out"
)


class BadCodeError(HelplineError):
    """What was typed is not a session code or join link.

    A code is four digits, a dash and six more digits (the dash may be any
    dash, a space, or left out); a join link starts with ``helpline://``.
    """


@dataclass(frozen=True, slots=True)
class SessionCode:
    room: str
    secret: str

    @classmethod
    def generate(
        cls, room_digits: int = ROOM_DIGITS, secret_digits: int = SECRET_DIGITS
    ) -> SessionCode:
        return cls(_digits(room_digits), _digits(secret_digits))

    @classmethod
    def parse(cls, text: str) -> SessionCode:
        """Read a code as a person types it: any dash, spaces, or nothing between groups."""
        cleaned = text.strip()
        if len(cleaned) > _MAX_CODE_CHARS:
            raise BadCodeError(f"that is too long to be a session code; {_FORM}")
        parts = [p for p in _SEPARATORS.split(cleaned) if p]
        if not parts or not all(p.isascii() and p.isdigit() for p in parts):
            raise BadCodeError(
                f"that is not a session code: {_FORM} (ask the rep to read it again)"
            )
        if len(parts) == 1:
            room, secret = parts[0][:ROOM_DIGITS], parts[0][ROOM_DIGITS:]
        else:
            room, secret = parts[0], "".join(parts[1:])
        if len(secret) < SECRET_DIGITS:
            raise BadCodeError(
                f"that code has {len(secret)} digits after the first {len(room)}; {_FORM}"
            )
        return cls(room, secret)

    def replace_secret(self) -> SessionCode:
        """A fresh secret for the same room: the old code stops working at once."""
        fresh = _digits(len(self.secret))
        while fresh == self.secret:
            fresh = _digits(len(self.secret))
        return SessionCode(self.room, fresh)

    @property
    def password(self) -> bytes:
        """The SPAKE2 password: the whole code, so the room id is bound in too."""
        return f"helpline-code:{self.room}-{self.secret}".encode()

    def __str__(self) -> str:
        return f"{self.room}-{self.secret}"


@dataclass(frozen=True, slots=True)
class JoinTarget:
    """Where and how to join: a relay WebSocket URL and a code."""

    relay: str
    code: SessionCode

    @property
    def link(self) -> str:
        """The ``helpline:`` join link: the relay's address and the code."""
        parts = urlsplit(self.relay)
        path = parts.path.rstrip("/") + f"/{self.code}"
        query = "tls=off" if parts.scheme == "ws" else ""
        return urlunsplit((LINK_SCHEME, parts.netloc, path, query, ""))

    @classmethod
    def from_link(cls, link: str) -> JoinTarget:
        bad = BadCodeError(
            "that is not a Helpline join link; a join link starts with helpline:// "
            "and ends with the session code"
        )
        try:
            parts = urlsplit(link.strip())
            parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
        except ValueError:  # an unclosed "[" in the host, a bad port: still just a bad link
            raise bad from None
        if parts.scheme != LINK_SCHEME or not parts.netloc or parts.fragment:
            raise bad
        prefix, _, code = parts.path.rstrip("/").rpartition("/")
        query = parse_qs(parts.query, keep_blank_values=True)
        if set(query) - {"tls"} or query.get("tls", ["on"]) not in (["on"], ["off"]):
            raise BadCodeError("that join link has settings this program does not know")
        scheme = "ws" if query.get("tls") == ["off"] else "wss"
        return cls(urlunsplit((scheme, parts.netloc, prefix, "", "")), SessionCode.parse(code))


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))
