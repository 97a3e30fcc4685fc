"""Where files go and how much may come: the file-transfer settings of one peer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from codec import DEFAULT_CHUNK_BYTES, DEFAULT_WINDOW_BYTES, Feature
from peer._file_store import free_bytes

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec import Policy

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "FileSettings",
    "default_download_dir",
    "file_settings",
    "human_size",
]

#: The largest single file accepted unless the site says otherwise.
DEFAULT_MAX_FILE_BYTES = 100 * 1024**3


def default_download_dir() -> Path:
    """``Helpline`` inside the user's Downloads folder."""
    return Path(platformdirs.user_downloads_dir()) / "Helpline"


@dataclass(frozen=True, slots=True)
class FileSettings:
    #: Where received files land (``--download-dir``); created when first needed.
    download_dir: Path = field(default_factory=default_download_dir)
    #: What a customer's file-access grant covers for ``/ls`` and ``/fetch``.
    shared_root: Path = field(default_factory=Path.home)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    window_bytes: int = DEFAULT_WINDOW_BYTES
    #: Free bytes in a folder's file system (a setting so tests can shrink the disk).
    free_space: Callable[[Path], int] = free_bytes
    #: Why the site policy turned basic (F1) or advanced (F2) file transfer off, if it did.
    basic_off: str | None = None
    advanced_off: str | None = None
    #: The same refusal of advanced file transfer as the rep who asked reads it.
    advanced_off_for_rep: str | None = None


def file_settings(download_dir: str | None = None, policy: Policy | None = None) -> FileSettings:
    """The settings for ``--download-dir DIR`` (or the default folder) under *policy*."""
    folder = Path(download_dir).expanduser().absolute() if download_dir else default_download_dir()

    def off(feature: Feature) -> str | None:
        return None if policy is None or policy.allows(feature) else policy.refusal(feature)

    return FileSettings(
        download_dir=folder,
        basic_off=off(Feature.FILE_TRANSFER_BASIC),
        advanced_off=off(Feature.FILE_TRANSFER_ADVANCED),
        advanced_off_for_rep=(
            policy.refusal_for_rep(Feature.FILE_TRANSFER_ADVANCED)
            if policy is not None and not policy.allows(Feature.FILE_TRANSFER_ADVANCED)
            else None
        ),
    )


def human_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")  # pragma: no cover
