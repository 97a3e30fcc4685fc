"""Names from the other side, reduced to a safe relative path inside the chosen folder.

The other peer chooses file names; it may be hostile. What it sends is only
a suggestion: :func:`safe_relative_path` keeps its words and drops
everything that could climb out of the folder (absolute paths, ``..``,
drive letters, Windows device names), hide the file, or repaint a terminal
(control characters, escape sequences, bidi overrides). The result is NFC
normalised, each part capped in bytes, and never empty. An existing file is
never replaced: :func:`numbered_name` gives the candidates to try instead.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_PART_BYTES", "numbered_name", "safe_relative_path", "split_relative_path"]

#: Most file systems cap a name at 255 bytes; leave room for " (999)" and a partial suffix.
MAX_PART_BYTES = 200
#: Folders deeper than this are flattened into the last level kept.
MAX_DEPTH = 32
FALLBACK_NAME = "file"

#: CSI and OSC sequences whole (so no "[31m" is left behind), then any other ESC pair.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b.?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_WINDOWS_FORBIDDEN = set('<>:"|?*')
_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{base}{n}" for base in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
)


def split_relative_path(name: str) -> list[str]:
    """The safe parts of *name*, outermost first (at least one)."""
    text = _ESCAPES.sub("", unicodedata.normalize("NFC", name))
    parts = [_safe_part(p) for p in re.split(r"[/\\]+", text)]
    kept = [p for p in parts if p]
    if len(kept) > MAX_DEPTH:
        kept = [*kept[: MAX_DEPTH - 1], kept[-1]]
    return kept or [FALLBACK_NAME]


def safe_relative_path(name: str) -> str:
    """*name* as a ``/``-separated relative path that stays inside its folder."""
    return "/".join(split_relative_path(name))


def _safe_part(part: str) -> str:
    chars = [
        "_" if ch in _WINDOWS_FORBIDDEN else " " if unicodedata.category(ch) == "Zs" else ch
        for ch in part
        if unicodedata.category(ch) not in _UNSAFE_CATEGORIES
    ]
    # Windows drops trailing dots and spaces, so "evil.exe. " would become "evil.exe".
    cleaned = "".join(chars).strip().rstrip(". ")
    if cleaned in ("", ".", ".."):
        return ""
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]  # nothing arrives hidden, nor looks like our partial files
    stem = cleaned.split(".", 1)[0].rstrip(" ")
    if stem.upper() in _DEVICE_NAMES:
        cleaned = "_" + cleaned
    return _cap(cleaned, MAX_PART_BYTES)


def _cap(part: str, limit: int) -> str:
    """Cut *part* to *limit* UTF-8 bytes, keeping a short extension."""
    if len(part.encode()) <= limit:
        return part
    stem, dot, ext = part.rpartition(".")
    if not dot or len(ext.encode()) > 16 or not stem:
        stem, ext = part, ""
    room = limit - len(ext.encode()) - (1 if ext else 0)
    cut = stem.encode()[:room].decode(errors="ignore").rstrip(". ")
    return f"{cut}.{ext}" if ext else cut


def numbered_name(name: str, n: int) -> str:
    """The *n*-th alternative to *name*: ``report.txt`` → ``report (2).txt``."""
    if n <= 1:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name} ({n})"
    return f"{stem} ({n}).{ext}"
