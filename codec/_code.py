"""Session codes and join links.

A session code is what a rep reads out on the phone: ``4821-093617``. The
part before the dash is the relay room id (routing only, the relay sees it);
the part after is the secret, which never leaves either machine: it is the
password of the SPAKE2 exchange. A join link carries the code in the URL
fragment, which browsers and HTTP clients never send to the server.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from codec._errors import HelplineError

__all__ = ["ROOM_DIGITS", "SECRET_DIGITS", "BadCodeError", "JoinTarget", "SessionCode"]

ROOM_DIGITS = 4
SECRET_DIGITS = 6
# Beyond this, a typed code is certainly not ours; keeps a pasted essay out of SPAKE2.
_MAX_CODE_CHARS = 64


class BadCodeError(HelplineError):
    """What was typed is not a session code or join link.

    A code looks like ``4821-093617`` (digits, a dash, digits); a join link
    looks like ``http://relay.example:8765/join#4821-093617``.
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
        """Read a code as a person types it: spaces and dashes are forgiven."""
        cleaned = text.strip()
        if len(cleaned) > _MAX_CODE_CHARS:
            raise BadCodeError("that is too long to be a session code")
        parts = [p for p in cleaned.replace(" ", "-").split("-") if p]
        if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
            raise BadCodeError(
                f"{cleaned!r} is not a session code; it looks like 4821-093617 "
                "(ask the rep to read it again)"
            )
        room, secret = parts
        if len(secret) < SECRET_DIGITS:
            raise BadCodeError(
                f"the part after the dash has {len(secret)} digits; "
                f"a session code has at least {SECRET_DIGITS} there"
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
        """The join link: the relay's join page with the code in the fragment."""
        parts = urlsplit(self.relay)
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        return urlunsplit((scheme, parts.netloc, "/join", "", str(self.code)))

    @classmethod
    def from_link(cls, link: str) -> JoinTarget:
        try:
            parts = urlsplit(link.strip())
        except ValueError:  # e.g. an unclosed "[" in the host: still just a bad link
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or not parts.fragment
        ):
            raise BadCodeError(
                f"{link!r} is not a join link; it looks like http://HOST:PORT/join#4821-093617"
            )
        scheme = "wss" if parts.scheme == "https" else "ws"
        return cls(
            urlunsplit((scheme, parts.netloc, "", "", "")), SessionCode.parse(parts.fragment)
        )


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))
