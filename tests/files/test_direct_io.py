"""Large downloads go to disk around the page cache, and arrive identical all the same."""

from __future__ import annotations

import fcntl
import hashlib
import os
from typing import TYPE_CHECKING

import pytest

import peer._file_store
from peer._direct_io import ALIGN, DirectWrites
from peer._file_store import FileStoreError, IncomingFile
from tests.files.test_reliability import small_disk

if TYPE_CHECKING:
    from pathlib import Path


def direct_io_works_in(folder: Path) -> bool:
    fd = os.open(folder / "probe", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        return DirectWrites(fd).write(0, bytes(ALIGN)) == ALIGN
    finally:
        os.close(fd)


@pytest.fixture
def direct_folder(tmp_path: Path) -> Path:
    if not direct_io_works_in(tmp_path):
        pytest.skip("this file system does no direct IO")
    return tmp_path


def test_only_the_aligned_part_of_a_chunk_is_written_directly(direct_folder: Path) -> None:
    fd = os.open(direct_folder / "f", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        writes = DirectWrites(fd)
        assert writes.write(0, os.urandom(3 * ALIGN + 100)) == 3 * ALIGN
        assert writes.write(ALIGN + 1, os.urandom(5 * ALIGN)) == 0  # an odd offset: not at all
        assert writes.write(0, os.urandom(ALIGN - 1)) == 0
        assert writes.usable
    finally:
        os.close(fd)


def chunks(data: bytes, sizes: list[int]) -> list[tuple[int, bytes]]:
    out, at = [], 0
    for size in sizes:
        out.append((at, data[at : at + size]))
        at += size
    return out


@pytest.mark.parametrize(
    "sizes",
    [
        [1 << 20, 1 << 20, 3 * ALIGN + 7],  # a ragged last chunk
        [5000, 1 << 20, 123, 2 * ALIGN, 77_777],  # a sender cutting chunks oddly
    ],
)
def test_a_large_download_arrives_identical_on_disk(
    direct_folder: Path, monkeypatch: pytest.MonkeyPatch, sizes: list[int]
) -> None:
    monkeypatch.setattr(peer._file_store, "DIRECT_FROM", 0)  # "large" from the first byte
    data = os.urandom(sum(sizes))
    store = IncomingFile(direct_folder, "disk.img", len(data))
    store.prepare()
    for offset, chunk in chunks(data, sizes):
        store.write(offset, memoryview(chunk))
    assert store.digest() == hashlib.sha256(data).digest()
    saved = store.finish()
    assert (direct_folder / saved).read_bytes() == data


def test_a_file_system_without_direct_io_is_written_the_usual_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(fd: int, command: int, flags: int = 0) -> int:
        if command == fcntl.F_SETFL and flags & os.O_DIRECT:
            raise OSError(22, "Invalid argument")
        return 0

    monkeypatch.setattr(peer._file_store, "DIRECT_FROM", 0)
    monkeypatch.setattr(fcntl, "fcntl", refuse)
    data = os.urandom(2 << 20)
    store = IncomingFile(tmp_path, "disk.img", len(data))
    store.prepare()
    store.write(0, data)
    assert (tmp_path / store.finish()).read_bytes() == data


def test_a_disk_filling_up_under_direct_writes_says_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with small_disk(tmp_path / "small") as real:
        if not real:
            pytest.skip("needs root to mount a small tmpfs")
        if not direct_io_works_in(tmp_path / "small"):
            pytest.skip("this tmpfs does no direct IO")
        monkeypatch.setattr(peer._file_store, "DIRECT_FROM", 0)
        store = IncomingFile(tmp_path / "small", "big.iso", 5 << 20)
        store.prepare()
        store.write(0, os.urandom(1 << 20))  # fits
        with pytest.raises(FileStoreError, match="the disk is full"):
            store.write(1 << 20, os.urandom(2 << 20))  # more than the 2 MiB disk holds
        store.discard()
