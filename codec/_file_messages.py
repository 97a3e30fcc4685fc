"""File-transfer messages: the catalogue, access, requests, and one transfer's traffic.

A transfer is numbered by its *sender* (``tid``); a request (``/get``,
``/fetch``, ``/ls``) by whoever asks (``request``). Messages that the
file's receiver sends carry the sender's ``tid`` back, so each message type
travels in one direction only, except :class:`FileCancel`, which says which
side of the transfer wrote it. Paths travel as ``/``-separated text and are
hostile on arrival: the decoder refuses control characters in them (they are
printed), and the receiver reduces them with :func:`codec.safe_relative_path`.

Decoding shares :mod:`codec._messages`' strict field checks; this module only
adds the file families to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codec._errors import LimitExceededError, LocalProtocolError, ProtocolError
from codec._wire import bin_head, pack, read_bin_head, read_uint

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec._limits import Limits
    from codec._messages import _Fields

__all__ = [
    "DIGEST_BYTES",
    "FileAccept",
    "FileAccessAsk",
    "FileAccessState",
    "FileAck",
    "FileCancel",
    "FileChunk",
    "FileComplete",
    "FileDone",
    "FileEntry",
    "FileFetch",
    "FileGet",
    "FileList",
    "FileListing",
    "FileMessage",
    "FileOffer",
    "FileRefuse",
    "FileRequestAnswer",
    "FileStart",
    "FilesEnd",
    "FilesShared",
    "SharedItem",
    "TransferMessage",
    "decode_file_chunk",
    "file_chunk_prefix",
]

#: sha256: as strong as needed, and faster than blake2b here.
DIGEST_BYTES = 32
_MAX_ID = 2**53
_MAX_SIZE = 2**62
_MAX_REASON_CHARS = 300


# The catalogue (F1) and access (F2) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class SharedItem:
    """One entry of the rep's shared list: a file, or a folder of *count* files."""

    number: int
    name: str
    size: int
    count: int = 1


@dataclass(frozen=True, slots=True)
class FilesShared:
    """Rep → customer: the whole list of what the rep shares now (replaces the last)."""

    items: tuple[SharedItem, ...]


@dataclass(frozen=True, slots=True)
class FileAccessAsk:
    """Rep → customer: may I send files to you and fetch files from you?"""


@dataclass(frozen=True, slots=True)
class FileAccessState:
    """Customer → rep: access granted, refused or revoked (*reason* says which)."""

    granted: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FilesEnd:
    """Rep → customer: the file-transfer activity is over (F4)."""


# Requests ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileGet:
    """Customer → rep: send me shared item *number*."""

    request: int
    number: int


@dataclass(frozen=True, slots=True)
class FileFetch:
    """Rep → customer: send me *path* (a file or a folder) from what you granted."""

    request: int
    path: str


@dataclass(frozen=True, slots=True)
class FileRequestAnswer:
    """The asked side: *count* files of *size* bytes follow, or why not."""

    request: int
    ok: bool
    count: int = 0
    size: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FileList:
    """Rep → customer: what is in *path* (relative to what was granted)?"""

    request: int
    path: str


@dataclass(frozen=True, slots=True)
class FileEntry:
    name: str
    is_dir: bool
    size: int


@dataclass(frozen=True, slots=True)
class FileListing:
    """Customer → rep: the entries of a listed folder, or *error*."""

    request: int
    path: str
    entries: tuple[FileEntry, ...] = ()
    error: str = ""


# One transfer ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileOffer:
    """Sender → receiver: a file of *size* bytes; *request* is 0 unless it answers one."""

    tid: int
    path: str
    size: int
    request: int = 0


@dataclass(frozen=True, slots=True)
class FileAccept:
    """Receiver → sender: start at *offset* (I hold that much, whose sha256 is *prefix*)."""

    tid: int
    offset: int
    prefix: bytes
    window: int


@dataclass(frozen=True, slots=True)
class FileRefuse:
    tid: int
    reason: str


@dataclass(frozen=True, slots=True)
class FileStart:
    """Sender → receiver: chunks begin at *offset* (the accepted one, or 0)."""

    tid: int
    offset: int


@dataclass(frozen=True, slots=True)
class FileChunk:
    tid: int
    offset: int
    #: A view into the decrypted frame on the receiving side (no copy of 1 MiB).
    data: bytes | memoryview


@dataclass(frozen=True, slots=True)
class FileAck:
    """Receiver → sender: everything before *offset* is written."""

    tid: int
    offset: int


@dataclass(frozen=True, slots=True)
class FileDone:
    """Sender → receiver: that was all; the whole content's sha256 is *digest*."""

    tid: int
    digest: bytes


@dataclass(frozen=True, slots=True)
class FileComplete:
    """Receiver → sender: verified and saved under its final name."""

    tid: int


@dataclass(frozen=True, slots=True)
class FileCancel:
    tid: int
    reason: str
    by_sender: bool


TransferMessage = (
    FileOffer
    | FileAccept
    | FileRefuse
    | FileStart
    | FileChunk
    | FileAck
    | FileDone
    | FileComplete
    | FileCancel
)
FileMessage = (
    FilesShared
    | FileAccessAsk
    | FileAccessState
    | FilesEnd
    | FileGet
    | FileFetch
    | FileRequestAnswer
    | FileList
    | FileListing
    | TransferMessage
)


#: How a chunk's document begins as file_chunk_prefix writes it: map of 4, "t", "file-chunk", "tid".
_CHUNK_HEAD = b"\x84\xa1t\xaafile-chunk\xa3tid"
_OFFSET_KEY = b"\xa6offset"
_DATA_KEY = b"\xa4data"


def decode_file_chunk(data: bytes | bytearray | memoryview, limits: Limits) -> FileChunk | None:
    """A chunk in exactly file_chunk_prefix's layout, its data a view; else None.

    Anything else (another order, a bad value, trailing bytes) is None and goes
    through the strict general decoder, which says what is wrong with it.
    """
    if len(data) > limits.max_message_bytes or data[: len(_CHUNK_HEAD)] != _CHUNK_HEAD:
        return None
    view = memoryview(data)
    tid, at = read_uint(view, len(_CHUNK_HEAD))
    if tid is None or view[at : at + len(_OFFSET_KEY)] != _OFFSET_KEY:
        return None
    offset, at = read_uint(view, at + len(_OFFSET_KEY))
    if offset is None or view[at : at + len(_DATA_KEY)] != _DATA_KEY:
        return None
    size, at = read_bin_head(view, at + len(_DATA_KEY))
    if size is None:
        return None
    ok = tid < _MAX_ID and offset < _MAX_SIZE and 0 < size <= limits.max_chunk_bytes
    if not ok or at + size != len(view):
        return None
    return FileChunk(tid, offset, view[at:])


def file_chunk_prefix(chunk: FileChunk) -> bytes:
    """The msgpack of *chunk* up to its data: the document is this, then the data."""
    head = pack({"t": "file-chunk", "tid": chunk.tid, "offset": chunk.offset, "data": b""})
    return head[:-2] + bin_head(len(chunk.data))  # in place of the empty bin's header


def encode_file_message(msg: FileMessage) -> dict[str, Any]:
    """The msgpack map for *msg* (the caller packs it)."""
    match msg:
        case FileChunk(tid, offset, data):  # the hot path first
            return {"t": "file-chunk", "tid": tid, "offset": offset, "data": data}
        case FileAck(tid, offset):
            return {"t": "file-ack", "tid": tid, "offset": offset}
        case FilesShared(items):
            entries = [[i.number, i.name, i.size, i.count] for i in items]
            return {"t": "files-shared", "items": entries}
        case FileAccessAsk():
            return {"t": "file-access-ask"}
        case FileAccessState(granted, reason):
            return {"t": "file-access", "granted": granted, "reason": reason}
        case FilesEnd():
            return {"t": "files-end"}
        case FileGet(request, number):
            return {"t": "file-get", "request": request, "number": number}
        case FileFetch(request, path):
            return {"t": "file-fetch", "request": request, "path": path}
        case FileRequestAnswer(request, ok, count, size, reason):
            return {
                "t": "file-answer",
                "request": request,
                "ok": ok,
                "count": count,
                "size": size,
                "reason": reason,
            }
        case FileList(request, path):
            return {"t": "file-list", "request": request, "path": path}
        case FileListing(request, path, entries, error):
            rows = [[e.name, e.is_dir, e.size] for e in entries]
            return {
                "t": "file-listing",
                "request": request,
                "path": path,
                "entries": rows,
                "error": error,
            }
        case FileOffer(tid, path, size, request):
            return {"t": "file-offer", "tid": tid, "path": path, "size": size, "request": request}
        case FileAccept(tid, offset, prefix, window):
            return {
                "t": "file-accept",
                "tid": tid,
                "offset": offset,
                "prefix": prefix,
                "window": window,
            }
        case FileRefuse(tid, reason):
            return {"t": "file-refuse", "tid": tid, "reason": reason}
        case FileStart(tid, offset):
            return {"t": "file-start", "tid": tid, "offset": offset}
        case FileDone(tid, digest):
            return {"t": "file-done", "tid": tid, "digest": digest}
        case FileComplete(tid):
            return {"t": "file-complete", "tid": tid}
        case FileCancel(tid, reason, by_sender):
            return {"t": "file-cancel", "tid": tid, "reason": reason, "by_sender": by_sender}
    raise LocalProtocolError(f"not a file message: {msg!r}")


# Decoding ----------------------------------------------------------------------------


def _number(f: _Fields, key: str, top: int = _MAX_ID) -> int:
    value = f.obj[key]
    if type(value) is not int or not 0 <= value < top:
        raise ProtocolError(
            f"{f.type}: {key} must be a whole number below {top}", reason="malformed"
        )
    return value


def _flag(f: _Fields, key: str) -> bool:
    value = f.obj[key]
    if not isinstance(value, bool):
        raise ProtocolError(f"{f.type}: {key} must be true or false", reason="malformed")
    return value


def _reason(f: _Fields, key: str = "reason") -> str:
    return f.text(f.obj[key], key, _MAX_REASON_CHARS, multiline=False)


def _path(f: _Fields, value: Any) -> str:
    """One line of clean text: the receiver prints it, then reduces it to a safe path.

    A newline or an escape sequence in a name would print a line of the
    sender's choosing on the receiver's screen (a forged question), so
    control characters are refused here, as in chat.
    """
    if not isinstance(value, str):
        raise ProtocolError(f"{f.type}: path must be text", reason="malformed")
    if len(value) > f.limits.max_path_chars:
        raise LimitExceededError(f"{f.type}: path longer than {f.limits.max_path_chars}")
    return f.text(value, "path", f.limits.max_path_chars, multiline=False)


def _digest(f: _Fields, key: str, *, empty_ok: bool = False) -> bytes:
    value = f.obj[key]
    if not isinstance(value, bytes) or not (len(value) == DIGEST_BYTES or (empty_ok and not value)):
        raise ProtocolError(f"{f.type}: {key} must be a sha256 digest", reason="malformed")
    return value


def _rows(f: _Fields, key: str, width: int) -> list[list[Any]]:
    raw = f.obj[key]
    if not isinstance(raw, list) or not all(
        isinstance(row, list) and len(row) == width for row in raw
    ):
        raise ProtocolError(f"{f.type}: bad {key} list", reason="malformed")
    return raw


def _item_number(f: _Fields, value: Any, what: str, top: int = _MAX_SIZE) -> int:
    if type(value) is not int or not 0 <= value < top:
        raise ProtocolError(f"{f.type}: bad {what}", reason="malformed")
    return value


def _files_shared(f: _Fields) -> FilesShared:
    f.expect("items")
    items = tuple(
        SharedItem(
            _item_number(f, n, "item number", _MAX_ID),
            _path(f, name),
            _item_number(f, size, "size"),
            _item_number(f, count, "file count", _MAX_ID),
        )
        for n, name, size, count in _rows(f, "items", 4)
    )
    return FilesShared(items)


def _access_ask(f: _Fields) -> FileAccessAsk:
    f.expect()
    return FileAccessAsk()


def _access_state(f: _Fields) -> FileAccessState:
    f.expect("granted", "reason")
    return FileAccessState(_flag(f, "granted"), _reason(f))


def _files_end(f: _Fields) -> FilesEnd:
    f.expect()
    return FilesEnd()


def _get(f: _Fields) -> FileGet:
    f.expect("request", "number")
    return FileGet(_number(f, "request"), _number(f, "number"))


def _fetch(f: _Fields) -> FileFetch:
    f.expect("request", "path")
    return FileFetch(_number(f, "request"), _path(f, f.obj["path"]))


def _answer(f: _Fields) -> FileRequestAnswer:
    f.expect("request", "ok", "count", "size", "reason")
    return FileRequestAnswer(
        _number(f, "request"),
        _flag(f, "ok"),
        _number(f, "count"),
        _number(f, "size", _MAX_SIZE),
        _reason(f),
    )


def _list(f: _Fields) -> FileList:
    f.expect("request", "path")
    return FileList(_number(f, "request"), _path(f, f.obj["path"]))


def _listing(f: _Fields) -> FileListing:
    f.expect("request", "path", "entries", "error")
    entries = []
    for name, is_dir, size in _rows(f, "entries", 3):
        if not isinstance(is_dir, bool):
            raise ProtocolError(f"{f.type}: bad entry", reason="malformed")
        text = f.text(name, "entry name", f.limits.max_path_chars, multiline=False)
        entries.append(FileEntry(text, is_dir, _item_number(f, size, "size")))
    return FileListing(
        _number(f, "request"), _path(f, f.obj["path"]), tuple(entries), _reason(f, "error")
    )


def _offer(f: _Fields) -> FileOffer:
    f.expect("tid", "path", "size", "request")
    return FileOffer(
        _number(f, "tid"),
        _path(f, f.obj["path"]),
        _number(f, "size", _MAX_SIZE),
        _number(f, "request"),
    )


def _accept(f: _Fields) -> FileAccept:
    f.expect("tid", "offset", "prefix", "window")
    return FileAccept(
        _number(f, "tid"),
        _number(f, "offset", _MAX_SIZE),
        _digest(f, "prefix", empty_ok=True),
        _number(f, "window", f.limits.max_window_bytes + 1),
    )


def _refuse(f: _Fields) -> FileRefuse:
    f.expect("tid", "reason")
    return FileRefuse(_number(f, "tid"), _reason(f))


def _start(f: _Fields) -> FileStart:
    f.expect("tid", "offset")
    return FileStart(_number(f, "tid"), _number(f, "offset", _MAX_SIZE))


def _chunk(f: _Fields) -> FileChunk:
    f.expect("tid", "offset", "data")
    data = f.obj["data"]
    if not isinstance(data, bytes) or not data:
        raise ProtocolError("file-chunk: data must be bytes", reason="malformed")
    if len(data) > f.limits.max_chunk_bytes:
        raise LimitExceededError(f"file-chunk: more than {f.limits.max_chunk_bytes} bytes")
    return FileChunk(_number(f, "tid"), _number(f, "offset", _MAX_SIZE), data)


def _ack(f: _Fields) -> FileAck:
    f.expect("tid", "offset")
    return FileAck(_number(f, "tid"), _number(f, "offset", _MAX_SIZE))


def _done(f: _Fields) -> FileDone:
    f.expect("tid", "digest")
    return FileDone(_number(f, "tid"), _digest(f, "digest"))


def _complete(f: _Fields) -> FileComplete:
    f.expect("tid")
    return FileComplete(_number(f, "tid"))


def _cancel(f: _Fields) -> FileCancel:
    f.expect("tid", "reason", "by_sender")
    return FileCancel(_number(f, "tid"), _reason(f), _flag(f, "by_sender"))


FILE_DECODERS: dict[str, Callable[[_Fields], FileMessage]] = {
    "files-shared": _files_shared,
    "file-access-ask": _access_ask,
    "file-access": _access_state,
    "files-end": _files_end,
    "file-get": _get,
    "file-fetch": _fetch,
    "file-answer": _answer,
    "file-list": _list,
    "file-listing": _listing,
    "file-offer": _offer,
    "file-accept": _accept,
    "file-refuse": _refuse,
    "file-start": _start,
    "file-chunk": _chunk,
    "file-ack": _ack,
    "file-done": _done,
    "file-complete": _complete,
    "file-cancel": _cancel,
}
