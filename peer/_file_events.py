"""What the file-transfer engine tells its face: plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codec import FileEntry, SharedItem

__all__ = [
    "AccessChanged",
    "FileEvent",
    "FileNotice",
    "FileQuestion",
    "FolderListed",
    "SharedFilesListed",
    "TransferEnded",
    "TransferProgress",
    "TransferView",
]


@dataclass(frozen=True, slots=True)
class TransferView:
    """One transfer as a person sees it (``/transfers``, progress lines)."""

    number: int
    name: str
    peer: str
    sending: bool
    size: int
    done: int
    state: str
    #: Bytes per second since the data started moving.
    rate: float
    #: Seconds left at that rate, or None when unknown.
    left: float | None
    #: Where the data started: above 0 when it resumed an earlier attempt.
    resumed_from: int = 0
    reason: str = ""
    #: Where a received file was saved (relative to the download folder).
    saved_as: str = ""
    #: The whole file's sha256 (hex) once the sender stated it; when the state is
    #: "complete", the receiver checked what it wrote against it.
    digest: str = ""

    @property
    def percent(self) -> float:
        return 100.0 if self.size == 0 else 100.0 * self.done / self.size


@dataclass(frozen=True, slots=True)
class FileNotice:
    """A line for the person: access changes, refusals, errors."""

    text: str


@dataclass(frozen=True, slots=True)
class FileQuestion:
    """The customer must answer ``y`` or ``n``; *number* picks it with ``/allow N``."""

    number: int
    text: str


@dataclass(frozen=True, slots=True)
class TransferProgress:
    view: TransferView


@dataclass(frozen=True, slots=True)
class TransferEnded:
    view: TransferView


@dataclass(frozen=True, slots=True)
class SharedFilesListed:
    rep: str
    items: tuple[SharedItem, ...]


@dataclass(frozen=True, slots=True)
class FolderListed:
    customer: str
    path: str
    entries: tuple[FileEntry, ...]
    error: str


@dataclass(frozen=True, slots=True)
class AccessChanged:
    """Rep only: *customer* granted file access (F2), or refused or withdrew it."""

    customer: str
    granted: bool
    reason: str = ""


FileEvent = (
    FileNotice
    | FileQuestion
    | TransferProgress
    | TransferEnded
    | SharedFilesListed
    | FolderListed
    | AccessChanged
)
