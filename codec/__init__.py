"""Helpline's sans-IO protocol core: bytes in, events out; events in, bytes out.

Nothing here does IO, starts tasks or reads a clock; a test asserts that no
module of this package imports trio, sockets, Qt or ``time``.
"""

from __future__ import annotations

from codec._errors import (
    HelplineError,
    LimitExceededError,
    LocalProtocolError,
    ProtocolError,
    TamperedMessageError,
    WrongCodeError,
)
from codec._limits import DEFAULT_LIMITS, Limits

__all__ = [
    "DEFAULT_LIMITS",
    "HelplineError",
    "LimitExceededError",
    "Limits",
    "LocalProtocolError",
    "ProtocolError",
    "TamperedMessageError",
    "WrongCodeError",
]
