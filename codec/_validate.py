"""The one rule for text people write and for the ids that travel with it.

Every decoder in codec checks names, chat, reasons and ids here, and the
peer checks what its own person typed with the same functions before
sending, so the two sides of a conversation can never disagree about what
is allowed.

Text
----
What people really write passes: any script, combining marks, emoji
sequences (zero-width joiner, variation selectors, flag and tag sequences),
the zero-width non-joiner of Persian, soft hyphens, bidi *marks*. What is
refused is what lets a sender repaint or reorder the reader's screen:

- C0 and C1 control characters (escape sequences start there), except
  newline and tab in multi-line text;
- bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069),
  which make ``evil\u202etxt.exe`` read as something else;
- the line and paragraph separators U+2028/U+2029, at which GUI text
  layout breaks a line, so a name could forge a second line;
- the deprecated format controls U+206A..U+206F and the interlinear
  annotation controls U+FFF9..U+FFFB, which no current text uses and which
  can hide text from the reader;
- lone surrogates, which are not text at all.

The rule is a fixed list of code points, not Unicode categories: categories
move between Unicode versions, and two peers on different Pythons must
still agree. Unassigned and private-use characters therefore pass (a
terminal shows them as a box; they cannot move the cursor).

Names
-----
A chat line is shown as ``[rep] Alice: ...`` or ``[customer] Bob
(private): ...``: the role comes from the host, in brackets, before the
name. So a name is one line of clean text that may not contain a bracket
or a word that form uses (a role, or "private"), compared after NFKC
normalisation and case folding so full-width look-alikes count too.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from codec._errors import LimitExceededError, ProtocolError

__all__ = [
    "MAX_ENDPOINT_ID",
    "MAX_ROOM_ID_CHARS",
    "ROLE_WORDS",
    "check_id",
    "check_name",
    "check_text",
    "is_clean_text",
    "is_valid_room_id",
    "name_key",
    "name_problem",
    "text_problem",
]

#: Endpoint and member ids are non-negative and fit in 31 bits.
MAX_ENDPOINT_ID = 2**31 - 1
MAX_ROOM_ID_CHARS = 32
#: Words the chat display uses around a name; a name may not contain them.
#: Every :class:`~codec.Role` value is here (a test checks).
ROLE_WORDS = frozenset({"rep", "assistant", "customer", "private"})

_REFUSED_RANGES = (
    (0x00, 0x1F),  # C0 controls (newline and tab are let through separately)
    (0x7F, 0x9F),  # DEL and the C1 controls
    (0x2028, 0x2029),  # line and paragraph separators
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2066, 0x2069),  # bidi isolates
    (0x206A, 0x206F),  # deprecated format controls
    (0xD800, 0xDFFF),  # surrogates
    (0xFFF9, 0xFFFB),  # interlinear annotation
)
_REFUSED = re.compile("[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _REFUSED_RANGES) + "]")
_BRACKETS = re.compile(r"[\[\]]")
_WORD = re.compile(r"\w+")

# unicodedata has no names for controls; these are their Unicode name aliases.
_C0 = (  # noqa: SIM905 - a table reads better as one string
    "NULL,START OF HEADING,START OF TEXT,END OF TEXT,END OF TRANSMISSION,ENQUIRY,"
    "ACKNOWLEDGE,ALERT,BACKSPACE,CHARACTER TABULATION,LINE FEED,LINE TABULATION,"
    "FORM FEED,CARRIAGE RETURN,SHIFT OUT,SHIFT IN,DATA LINK ESCAPE,DEVICE CONTROL ONE,"
    "DEVICE CONTROL TWO,DEVICE CONTROL THREE,DEVICE CONTROL FOUR,NEGATIVE ACKNOWLEDGE,"
    "SYNCHRONOUS IDLE,END OF TRANSMISSION BLOCK,CANCEL,END OF MEDIUM,SUBSTITUTE,ESCAPE,"
    "INFORMATION SEPARATOR FOUR,INFORMATION SEPARATOR THREE,INFORMATION SEPARATOR TWO,"
    "INFORMATION SEPARATOR ONE"
).split(",")
_C1 = (  # noqa: SIM905 - a table reads better as one string
    "DELETE,PADDING CHARACTER,HIGH OCTET PRESET,BREAK PERMITTED HERE,NO BREAK HERE,INDEX,"
    "NEXT LINE,START OF SELECTED AREA,END OF SELECTED AREA,CHARACTER TABULATION SET,"
    "CHARACTER TABULATION WITH JUSTIFICATION,LINE TABULATION SET,PARTIAL LINE FORWARD,"
    "PARTIAL LINE BACKWARD,REVERSE LINE FEED,SINGLE SHIFT TWO,SINGLE SHIFT THREE,"
    "DEVICE CONTROL STRING,PRIVATE USE ONE,PRIVATE USE TWO,SET TRANSMIT STATE,"
    "CANCEL CHARACTER,MESSAGE WAITING,START OF GUARDED AREA,END OF GUARDED AREA,"
    "START OF STRING,SINGLE GRAPHIC CHARACTER INTRODUCER,SINGLE CHARACTER INTRODUCER,"
    "CONTROL SEQUENCE INTRODUCER,STRING TERMINATOR,OPERATING SYSTEM COMMAND,"
    "PRIVACY MESSAGE,APPLICATION PROGRAM COMMAND"
).split(",")


def _describe(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x20:
        name: str | None = _C0[cp]
    elif 0x7F <= cp <= 0x9F:
        name = _C1[cp - 0x7F]
    else:
        name = unicodedata.name(ch, None)
    return f"U+{cp:04X} {name}" if name else f"U+{cp:04X}"


def text_problem(text: str, *, max_chars: int, multiline: bool) -> str | None:
    """Why *text* may not be sent, in a sentence naming the culprit; None if it may."""
    if len(text) > max_chars:
        return f"{len(text):,} characters is over the limit of {max_chars:,}"
    for match in _REFUSED.finditer(text):
        ch = match.group()
        if not (multiline and ch in "\n\t"):
            return f"{_describe(ch)} is not allowed"
    return None


def name_key(name: str) -> str:
    """The form in which two names are the same name.

    NFKC and case folding, and without the invisible format characters
    (zero-width joiners and spaces, soft hyphens, marks), so that neither a
    full-width ALICE nor ``Ali\u200bce`` is a second Alice.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf").strip()


def name_problem(name: str, *, max_chars: int) -> str | None:
    """Why *name* may not be anyone's name; None if it may."""
    if not any(unicodedata.category(ch)[0] in "LNPS" for ch in name):
        return "a name needs at least one visible character"
    if (problem := text_problem(name, max_chars=max_chars, multiline=False)) is not None:
        return f"a name of {problem}" if problem[0].isdigit() else problem
    key = name_key(name)
    if _BRACKETS.search(key):
        return "a name may not contain [ or ] (the chat marks roles with them)"
    for word in _WORD.findall(key):
        if word in ROLE_WORDS:
            return f"a name may not contain the word {word!r} (the chat marks roles with it)"
    return None


def is_clean_text(text: str, *, multiline: bool) -> bool:
    """No character the rule refuses, whatever the length."""
    return text_problem(text, max_chars=len(text), multiline=multiline) is None


def check_text(value: Any, what: str, *, max_chars: int, multiline: bool) -> str:
    """*value* as text that follows the rule, or the :class:`ProtocolError` saying why not."""
    if not isinstance(value, str):
        raise ProtocolError(f"{what} must be text", reason="malformed")
    _refuse(
        what, len(value) > max_chars, text_problem(value, max_chars=max_chars, multiline=multiline)
    )
    return value


def check_name(value: Any, what: str, *, max_chars: int) -> str:
    """*value* as a name anyone may carry, or the :class:`ProtocolError` saying why not."""
    if not isinstance(value, str):
        raise ProtocolError(f"{what} must be text", reason="malformed")
    _refuse(what, len(value) > max_chars, name_problem(value, max_chars=max_chars))
    return value


def _refuse(what: str, too_long: bool, problem: str | None) -> None:
    if problem is None:
        return
    if too_long:
        raise LimitExceededError(f"{what}: {problem}")
    raise ProtocolError(f"{what}: {problem}", reason="malformed")


def check_id(value: Any, what: str = "endpoint id") -> int:
    """*value* as an endpoint or member id, or :class:`ProtocolError`."""
    if type(value) is not int or not 0 <= value <= MAX_ENDPOINT_ID:
        raise ProtocolError(
            f"{what}: {value!r:.40} is not an id from 0 to {MAX_ENDPOINT_ID}", reason="malformed"
        )
    return value


def is_valid_room_id(room: str) -> bool:
    """Room ids are short and plain so they sit in a URL path and a log line."""
    return 0 < len(room) <= MAX_ROOM_ID_CHARS and room.isascii() and room.isalnum()
