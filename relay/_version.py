"""The relay's version: the installed ``helpline`` distribution's, read once."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["VERSION"]

try:
    VERSION = version("helpline")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    VERSION = "unknown (not installed)"
