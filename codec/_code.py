"""Session codes and join links.

A session code is what a rep reads out on the phone: fifteen digits in four
groups, ``4821-9376-309-3617``. They are three things:

- the **room id**, the first eight digits (``4821-9376``): the relay sees it
  and routes by it, nothing more. It is also the session's number. Eight
  digits make 10^8 rooms, a space no address or botnet can fill at the
  rate a relay lets anyone open rooms;
- the **slot label**, the ninth digit (the ``3`` of ``309``): public too.
  A session has several live codes at once (the one the rep reads out, one
  per invitation), and the label tells the rep's side which one a joiner
  holds before any guess is tested, so a wrong guess costs only that
  code's budget. The rep's side picks it; it is not drawn from the secret;
- the **secret**, the last six digits (``09-3617``), drawn at random and
  never sent anywhere: with the room id and the label it is the password
  of the SPAKE2 exchange.

The grouping keeps every group to three or four digits, the most a person
holds at once when a number is read out, and puts the room id in two whole
groups so the session number reads as the start of the code. What people
type between the groups is theirs to choose: any dash, spaces, or nothing.

A join link is a ``helpline:`` URL, handled by the Helpline program and
never by a browser, because a page the relay serves could read anything in
the URL (fragment included)::

    helpline://relay.example.org/4821-9376-309-3617          wss://relay.example.org
    helpline://relay.example.org:8443/hl/4821-9376-309-3617  wss://relay.example.org:8443/hl
    helpline://127.0.0.1:8765/4821-9376-309-3617?tls=off     ws://127.0.0.1:8765

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
    "LABELS",
    "LINK_SCHEME",
    "ROOM_DIGITS",
    "SECRET_DIGITS",
    "BadCodeError",
    "JoinTarget",
    "SessionCode",
    "fresh_room",
    "is_room_number",
]

ROOM_DIGITS = 8
SECRET_DIGITS = 6
#: The slot labels: one digit, so a session has at most ten live codes at once.
LABELS = range(10)
LINK_SCHEME = "helpline"
_CODE_DIGITS = ROOM_DIGITS + 1 + SECRET_DIGITS
# Beyond this, a typed code is certainly not ours; keeps a pasted essay out of SPAKE2.
_MAX_CODE_CHARS = 64
# What people type between the groups: spaces and any dash a keyboard or a
# word processor makes (hyphen-minus, hyphen, non-breaking hyphen, figure
# dash, en dash, em dash, minus sign, small and full-width hyphen-minus).
_SEPARATORS = re.compile("[\\s\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d]+")
_FORM = (
    f"a session code is {_CODE_DIGITS} digits in four groups of 4, 4, 3 and 4, "
    "as the rep reads it out"
)


class BadCodeError(HelplineError):
    """What was typed is not a session code or join link.

    A code is fifteen digits in groups of 4, 4, 3 and 4 (between them any
    dash, a space, or nothing); a join link starts with ``helpline://``.
    """


@dataclass(frozen=True, slots=True)
class SessionCode:
    room: str
    #: Which of the session's live codes this is (public; see the module's notes).
    label: int
    secret: str

    @classmethod
    def generate(
        cls,
        label: int | None = None,
        *,
        room_digits: int = ROOM_DIGITS,
        secret_digits: int = SECRET_DIGITS,
    ) -> SessionCode:
        chosen = secrets.choice(LABELS) if label is None else label
        return cls(_digits(room_digits), chosen, _digits(secret_digits))

    @classmethod
    def fresh_for(cls, room: str, label: int) -> SessionCode:
        """A code with a secret of our own drawing for an existing room and slot."""
        return cls(room, label, _digits(SECRET_DIGITS))

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
        digits = "".join(parts)
        if len(digits) < _CODE_DIGITS:
            raise BadCodeError(f"that code has only {len(digits)} digits; {_FORM}")
        room, label, secret = digits[:ROOM_DIGITS], digits[ROOM_DIGITS], digits[ROOM_DIGITS + 1 :]
        return cls(room, int(label), secret)

    def replace_secret(self) -> SessionCode:
        """A fresh secret for the same room and slot: the old code stops working at once."""
        return self.sibling(self.label)

    def sibling(self, label: int) -> SessionCode:
        """Another code for the same room, in slot *label*, with a fresh secret."""
        fresh = _digits(len(self.secret))
        while fresh == self.secret:
            fresh = _digits(len(self.secret))
        return SessionCode(self.room, label, fresh)

    @property
    def number(self) -> str:
        """The session number as people read it: the room id in its two groups."""
        return _grouped(self.room, (4,))

    @property
    def password(self) -> bytes:
        """The SPAKE2 password: the whole code, so room id and label are bound in too."""
        return f"helpline-code:{self.room}-{self.label}-{self.secret}".encode()

    def __str__(self) -> str:
        return f"{self.number}-{_grouped(f'{self.label}{self.secret}', (3,))}"


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


def fresh_room() -> str:
    """A new random room id of the code's shape (ROOM_DIGITS digits)."""
    return _digits(ROOM_DIGITS)


def is_room_number(text: object) -> bool:
    """Whether *text* is a room id of the code's shape."""
    return isinstance(text, str) and len(text) == ROOM_DIGITS and text.isascii() and text.isdigit()


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def _grouped(digits: str, first: tuple[int, ...]) -> str:
    """*digits* cut into groups: the sizes in *first*, then fours."""
    groups, rest = [], digits
    for size in first:
        groups.append(rest[:size])
        rest = rest[size:]
    groups += [rest[i : i + 4] for i in range(0, len(rest), 4)]
    return "-".join(g for g in groups if g)
