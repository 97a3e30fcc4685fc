"""Files on disk for transfers: never following a symlink, never naming a file before it is whole.

Everything below the folder a person chose is reached through directory file
descriptors opened with ``O_NOFOLLOW``, one path part at a time, so a
symlink planted anywhere inside (``Downloads/Helpline/docs -> /etc``) is
never followed, for reading or for writing. A path that would need one is
refused (reading) or gets a numbered name beside it (writing).

An incoming file is written to a hidden partial file beside its final
place, with a small record of how much of it has been written and the
sha256 of those bytes. Only when the sender's digest of the whole content
matches ours does it get its final name; a name that already exists is
never replaced (``report (2).txt``). A broken-off transfer keeps its
partial file and record, so offering the same file again resumes from the
recorded offset once the bytes on disk still hash to the recorded digest.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codec import numbered_name, split_relative_path
from peer._direct_io import DIRECT_FROM, DirectWrites
from peer._errors import PeerError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "FileStoreError",
    "IncomingFile",
    "OutgoingFile",
    "free_bytes",
    "list_folder",
    "open_for_reading",
    "walk_files",
]

PARTIAL_SUFFIX = ".helpline-part"
RECORD_SUFFIX = ".helpline-record"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
#: The record is rewritten at most this often (bytes), and always when the transfer stops.
RECORD_EVERY = 8 * 1024 * 1024
MAX_NUMBERED = 1000
#: Dirty pages of the range start going to disk; clean ones leave the cache.
_WRITE_OUT = os.POSIX_FADV_DONTNEED


class FileStoreError(PeerError):
    """A file could not be read or written; the message says which and why."""


def free_bytes(folder: Path) -> int:
    """Bytes an unprivileged user may still write in *folder*'s file system.

    A folder not made yet counts as its nearest existing parent.
    """
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


def _describe(e: OSError) -> str:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if e.errno == errno.ELOOP:
        return "it is a symbolic link, which is never followed"
    return e.strerror or str(e)


def _open_dir(parent: int, name: str) -> int:
    return os.open(name, _DIR_FLAGS, dir_fd=parent)


def _open_root(root: Path) -> int:
    try:
        return os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as e:
        raise FileStoreError(f"cannot open the folder {root}: {_describe(e)}") from None


# Reading (the sender's side) ---------------------------------------------------------


@dataclass(slots=True)
class OutgoingFile:
    """An open regular file to send; *path* is how the receiver will name it."""

    fd: int
    path: str
    size: int

    def read(self, offset: int, length: int) -> bytes:
        try:
            return os.pread(self.fd, length, offset)
        except OSError as e:
            raise FileStoreError(f"cannot read {self.path}: {_describe(e)}") from None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def lookup_parts(path: str) -> list[str]:
    """The parts of a path asked for *inside* a granted folder; ``..`` is refused, not reduced."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." or "\x00" in p for p in parts):
        raise FileStoreError(f"{path!r} points outside the granted folder")
    return parts


def _walk_to(root_fd: int, parts: list[str], shown: str) -> int:
    """A new fd for the folder *parts* below *root_fd*, following no symlink."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            new = _open_dir(fd, part)
            os.close(fd)
            fd = new
    except OSError as e:
        why = _describe(e)
        with contextlib.suppress(OSError):
            if stat.S_ISLNK(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode):
                why = "it is a symbolic link, which is never followed"
        os.close(fd)
        raise FileStoreError(f"cannot open {shown}: {why}") from None
    return fd


def open_for_reading(root: Path, path: str, *, follow_symlinks: bool) -> OutgoingFile:
    """Open *path* (relative to *root*, or absolute when *follow_symlinks*) to send it.

    The customer's side passes ``follow_symlinks=False``: *path* is then the
    rep's wish, confined to *root* and never through a symlink. The rep's
    own files (``/share``, ``/put``) are the rep's choice and open normally.
    """
    if follow_symlinks:
        try:
            fd = os.open(root / path, _READ_FLAGS & ~os.O_NOFOLLOW)
        except OSError as e:
            raise FileStoreError(f"cannot open {path}: {_describe(e)}") from None
        return _checked(fd, path.rsplit("/", 1)[-1] or path)
    parts = lookup_parts(path)
    if not parts:
        raise FileStoreError("name a file inside the granted folder")
    root_fd = _open_root(root)
    try:
        parent = _walk_to(root_fd, parts[:-1], path)
    finally:
        os.close(root_fd)
    try:
        fd = os.open(parts[-1], _READ_FLAGS, dir_fd=parent)
    except OSError as e:
        raise FileStoreError(f"cannot open {path}: {_describe(e)}") from None
    finally:
        os.close(parent)
    return _checked(fd, parts[-1])


def _checked(fd: int, name: str) -> OutgoingFile:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise FileStoreError(f"{name} is not a regular file")
    return OutgoingFile(fd, name, st.st_size)


def walk_files(root: Path, path: str, *, follow_symlinks: bool) -> list[tuple[str, str, int]]:
    """The regular files under *path*: (where to open it, name for the receiver, size).

    A folder keeps its structure below its own name; symlinks inside are
    skipped on the customer's side (``follow_symlinks=False``).
    """
    base = path.rstrip("/").rsplit("/", 1)[-1] or "folder"
    top = root / path if follow_symlinks else root.joinpath(*lookup_parts(path))
    is_dir = top.is_dir() if follow_symlinks else _is_folder_below(root, lookup_parts(path), path)
    if not is_dir:
        file = open_for_reading(root, path, follow_symlinks=follow_symlinks)
        file.close()
        return [(str(root / path) if follow_symlinks else path, file.path, file.size)]
    found: list[tuple[str, str, int]] = []
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames.sort()
        rel = os.path.relpath(dirpath, top)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                continue  # symlinks, devices and pipes are not sent
            inside = name if rel == "." else f"{rel}/{name}"
            source = os.path.relpath(full, root) if not follow_symlinks else full
            found.append((source, f"{base}/{inside}", st.st_size))
    return found


def _is_folder_below(root: Path, parts: list[str], shown: str) -> bool:
    """Whether *parts* below *root* is a real folder, reached through no symlink.

    Each folder on the way is opened through the fds, so a symlinked part is
    refused here; a last part that is a file is left to open_for_reading.
    """
    root_fd = _open_root(root)
    try:
        parent = _walk_to(root_fd, parts[:-1], shown)
        try:
            last = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False) if parts else None
        except OSError:
            last = None  # open_for_reading says what is wrong with it
        finally:
            os.close(parent)
        if last is not None and not stat.S_ISDIR(last.st_mode):
            return False
        os.close(_walk_to(root_fd, parts, shown))  # refuses a symlinked last part
        return True
    finally:
        os.close(root_fd)


def list_folder(root: Path, path: str) -> list[tuple[str, bool, int]]:
    """(name, is a folder, size) for what is in *path* below *root*; symlinks left out."""
    root_fd = _open_root(root)
    try:
        fd = _walk_to(root_fd, lookup_parts(path), path or "the granted folder")
    finally:
        os.close(root_fd)
    entries = []
    try:
        with os.scandir(fd) as it:
            for entry in it:
                if entry.is_symlink():
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
                if not is_dir and not entry.is_file(follow_symlinks=False):
                    continue
                size = 0 if is_dir else entry.stat(follow_symlinks=False).st_size
                entries.append((entry.name, is_dir, size))
    finally:
        os.close(fd)
    return sorted(entries, key=lambda e: (not e[1], e[0].casefold()))


# Writing (the receiver's side) -------------------------------------------------------


class IncomingFile:
    """A file arriving into *folder* under the hostile name *suggested*.

    The parts of the name are made safe; each folder part that exists as
    anything but a real folder (a symlink, a file) is replaced by a numbered
    folder beside it. :meth:`prepare` finds the partial file of an earlier
    attempt; :meth:`write` adds chunks; :meth:`finish` gives the verified
    file its final name.
    """

    def __init__(self, folder: Path, suggested: str, size: int) -> None:
        self.size = size
        parts = split_relative_path(suggested)
        self.name = parts[-1]
        self.folder_parts: list[str] = []
        root_fd = _open_root(folder)
        try:
            self._dir = self._make_dirs(root_fd, parts[:-1])
        finally:
            os.close(root_fd)
        self._partial = f".{self.name}{PARTIAL_SUFFIX}"
        self._record = f".{self.name}{RECORD_SUFFIX}"
        self._fd = -1
        self._direct: DirectWrites | None = None
        self._hash = hashlib.sha256()
        self.written = 0
        self._recorded = 0
        self._record_digest = ""
        self.final_path = ""

    def _make_dirs(self, parent: int, parts: list[str]) -> int:
        fd = os.dup(parent)
        for part in parts:
            for n in range(1, MAX_NUMBERED):
                candidate = numbered_name(part, n)
                with contextlib.suppress(FileExistsError):
                    os.mkdir(candidate, 0o755, dir_fd=fd)
                try:
                    new = _open_dir(fd, candidate)
                except OSError:
                    continue  # a symlink or a file by that name: never through it
                os.close(fd)
                fd = new
                self.folder_parts.append(candidate)
                break
            else:
                os.close(fd)
                raise FileStoreError(f"no free folder name for {part}")
        return fd

    @property
    def shown_name(self) -> str:
        return "/".join([*self.folder_parts, self.name])

    def prepare(self) -> tuple[int, bytes]:
        """Open the partial file; (bytes already held, their sha256) from an earlier attempt.

        The record's offset counts only if the bytes on disk still hash to
        the record's digest; otherwise the partial file starts over.
        """
        self._fd = self._open_partial()
        if self.size >= DIRECT_FROM:
            self._direct = DirectWrites(self._fd)
        held = self._recorded_offset()
        self._hash = hashlib.sha256()
        offset = 0
        while offset < held:
            block = os.pread(self._fd, min(1 << 20, held - offset), offset)
            if not block:
                break
            self._hash.update(block)
            offset += len(block)
        if held and (offset < held or self._hash.hexdigest() != self._record_digest):
            held, self._hash = 0, hashlib.sha256()
        os.ftruncate(self._fd, held)
        self.written = self._recorded = held
        return held, self._hash.digest() if held else b""

    def _open_partial(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            return os.open(self._partial, flags, 0o600, dir_fd=self._dir)
        except OSError as e:
            if e.errno != errno.ELOOP:
                raise FileStoreError(f"cannot write {self.name}: {_describe(e)}") from None
        os.unlink(self._partial, dir_fd=self._dir)  # a planted symlink: remove it, not its target
        return os.open(self._partial, flags | os.O_EXCL, 0o600, dir_fd=self._dir)

    def _recorded_offset(self) -> int:
        try:
            fd = os.open(self._record, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=self._dir)
            with os.fdopen(fd, "rb") as f:
                record = json.loads(f.read(4096))
            offset, digest, size = record["offset"], record["sha256"], record["size"]
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        if size != self.size or type(offset) is not int or not 0 < offset <= self.size:
            return 0
        self._record_digest = str(digest)
        return offset

    def write(self, offset: int, data: bytes | memoryview) -> None:
        try:
            done = self._direct.write(offset, data) if self._direct is not None else 0
            _pwrite_all(self._fd, memoryview(data)[done:] if done else data, offset + done)
        except OSError as e:
            raise FileStoreError(f"cannot write {self.shown_name}: {_describe(e)}") from None
        self._hash.update(data)
        self.written = offset + len(data)
        if self.written - self._recorded >= RECORD_EVERY:
            self.save_record()

    def save_record(self) -> None:
        """Write down how much is written, so a later attempt can resume from there."""
        if self._fd < 0 or self.written == self._recorded:
            return
        record = json.dumps(
            {"size": self.size, "offset": self.written, "sha256": self._hash.hexdigest()}
        ).encode()
        temp = self._record + ".new"
        try:
            # Start writing the data out, without waiting: an fdatasync here held
            # the writer ~7 ms per record and, the window being full by then, the
            # sender with it. The record need not wait for the disk: a resume
            # counts its offset only once the bytes on disk hash to its digest.
            os.posix_fadvise(self._fd, self._recorded, self.written - self._recorded, _WRITE_OUT)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
            fd = os.open(temp, flags, 0o600, dir_fd=self._dir)
            try:
                os.write(fd, record)
            finally:
                os.close(fd)
            os.rename(temp, self._record, src_dir_fd=self._dir, dst_dir_fd=self._dir)
            self._recorded = self.written
        except OSError:
            pass  # no room for the record: the transfer resumes from an older one, or 0

    def digest(self) -> bytes:
        return self._hash.digest()

    def finish(self) -> str:
        """Give the verified file its final name (numbered if taken); that name."""
        mask = os.umask(0o022)
        os.umask(mask)
        os.fchmod(self._fd, 0o666 & ~mask)  # private while partial, ordinary once whole
        os.fsync(self._fd)
        for n in range(1, MAX_NUMBERED):
            candidate = numbered_name(self.name, n)
            try:
                # Claim the name first: O_EXCL fails on anything there, symlinks included.
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
                os.close(os.open(candidate, flags, 0o644, dir_fd=self._dir))
            except FileExistsError:
                continue
            os.rename(self._partial, candidate, src_dir_fd=self._dir, dst_dir_fd=self._dir)
            self._remove(self._record)
            self.final_path = "/".join([*self.folder_parts, candidate])
            self.close()
            return self.final_path
        raise FileStoreError(f"no free name for {self.name} in the download folder")

    def discard(self) -> None:
        """Throw away the partial file and its record (nothing worth resuming)."""
        self._remove(self._partial)
        self._remove(self._record)
        self.close()

    def keep_for_resume(self) -> None:
        self.save_record()
        self.close()

    def _remove(self, name: str) -> None:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=self._dir)

    def close(self) -> None:
        if self._direct is not None:
            self._direct.close()
            self._direct = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._dir >= 0:
            with contextlib.suppress(OSError):
                os.close(self._dir)
            self._dir = -1


def _pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    """All of *data* at *offset*: a write cut short (a disk filling up) goes on, or raises."""
    with memoryview(data) as view:
        done = 0
        while done < len(view):
            written = os.pwrite(fd, view[done:], offset + done)
            if not written:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            done += written
