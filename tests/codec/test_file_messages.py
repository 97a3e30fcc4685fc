"""File messages: every type round-trips; off-schema, oversized or hostile bytes are refused."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec import (
    FileAccept,
    FileAccessAsk,
    FileAccessState,
    FileAck,
    FileCancel,
    FileChunk,
    FileComplete,
    FileDone,
    FileEntry,
    FileFetch,
    FileGet,
    FileList,
    FileListing,
    FileMessage,
    FileOffer,
    FileRefuse,
    FileRequestAnswer,
    FilesEnd,
    FilesShared,
    FileStart,
    LimitExceededError,
    Limits,
    ProtocolError,
    SharedItem,
    decode_message,
    encode_message,
)
from codec._messages import encode_message_parts
from tests.codec.test_fuzz import hostile, msgpack_values

FILE_MESSAGES: list[FileMessage] = [
    FilesShared(()),
    FilesShared((SharedItem(1, "notes 2024.txt", 12), SharedItem(2, "logs", 10**9, 40))),
    FileAccessAsk(),
    FileAccessState(True),
    FileAccessState(False, "revoked by the customer"),
    FilesEnd(),
    FileGet(3, 1),
    FileFetch(4, "Documents/tax.pdf"),
    FileRequestAnswer(4, True, 3, 1000),
    FileRequestAnswer(5, False, reason="the customer said no"),
    FileList(6, ""),
    FileListing(6, "", (FileEntry("a.txt", False, 3), FileEntry("sub", True, 0))),
    FileListing(7, "../x", error="outside the granted folder"),
    FileOffer(9, "../../etc/passwd", 2**40, 0),
    FileAccept(9, 0, b"", 4 * 2**20),
    FileAccept(9, 100, bytes(32), 1),
    FileRefuse(9, "no"),
    FileStart(9, 100),
    FileChunk(9, 100, b"\x00" * 1000),
    FileAck(9, 1100),
    FileDone(9, bytes(range(32))),
    FileComplete(9),
    FileCancel(9, "cancelled by Bob", by_sender=False),
]


@pytest.mark.parametrize("message", FILE_MESSAGES, ids=lambda m: type(m).__name__)
def test_every_file_message_round_trips(message: FileMessage) -> None:
    assert decode_message(encode_message(message)) == message


def packed(**fields: Any) -> bytes:
    return msgpack.packb(fields, use_bin_type=True)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (packed(t="file-chunk", tid=1, offset=0, data=b""), "data must be bytes"),
        (packed(t="file-chunk", tid=1, offset=-1, data=b"x"), "offset"),
        (packed(t="file-chunk", tid="1", offset=0, data=b"x"), "tid"),
        (packed(t="file-ack", tid=1, offset=0, extra=1), "wrong fields"),
        (packed(t="file-done", tid=1, digest=b"short"), "sha256"),
        (packed(t="file-accept", tid=1, offset=0, prefix=b"", window=2**40), "window"),
        (packed(t="file-cancel", tid=1, reason="\x1b[2J", by_sender=True), "ESCAPE is not allowed"),
        (packed(t="file-offer", tid=1, path=7, size=1, request=0), "path must be text"),
        (packed(t="file-access", granted=1, reason=""), "true or false"),
        (packed(t="files-shared", items=[[1, "a", 1]]), "items"),
        (
            packed(t="file-listing", request=1, path="", entries=[["a\x1b", False, 1]], error=""),
            "ESCAPE is not allowed",
        ),
    ],
)
def test_off_schema_file_messages_are_refused(data: bytes, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        decode_message(data)


def test_a_chunk_beyond_the_chunk_limit_is_refused() -> None:
    data = encode_message(FileChunk(1, 0, b"x" * 2000))
    with pytest.raises(LimitExceededError, match="1000 bytes"):
        decode_message(data, Limits(max_chunk_bytes=1000))


FORGED = "notes.txt\n* Sharing stopped by Alice: Nothing is shared."


@pytest.mark.parametrize(
    ("message", "culprit"),
    [
        (FileOffer(1, FORGED, 10), "U+000A LINE FEED"),
        (FileOffer(1, "a\x1b[2Jb", 10), "U+001B ESCAPE"),
        (FileOffer(1, "evil\u202etxt.exe", 10), "U+202E RIGHT-TO-LEFT OVERRIDE"),
        (FileFetch(4, "Documents\r\nAlice (rep) wants x. Allow? [y/N]"), "U+000D CARRIAGE"),
        (FileList(6, "a\x9b2J"), "U+009B CONTROL SEQUENCE INTRODUCER"),
        (FileListing(6, "sub\nx"), "U+000A LINE FEED"),
        (FilesShared((SharedItem(1, FORGED, 12),)), "U+000A LINE FEED"),
    ],
    ids=["offer-newline", "offer-escape", "offer-bidi", "fetch", "list", "listing", "shared-item"],
)
def test_a_file_path_or_shared_name_with_control_characters_is_refused_at_decode(
    message: FileMessage, culprit: str
) -> None:
    with pytest.raises(ProtocolError, match=re.escape(f"path: {culprit}")):
        decode_message(encode_message(message))


def test_a_file_path_may_hold_any_script_and_spaces() -> None:
    offer = FileOffer(1, "Документы/报告 2024 — final (2).pdf", 10)
    assert decode_message(encode_message(offer)) == offer


def test_a_path_beyond_the_path_limit_is_refused() -> None:
    data = encode_message(FileOffer(1, "a" * 5000, 1))
    with pytest.raises(LimitExceededError, match="path longer"):
        decode_message(data)


FILE_TYPES = sorted({msgpack.unpackb(encode_message(m))["t"] for m in FILE_MESSAGES})
near_file_messages = st.builds(
    lambda t, fields: msgpack.packb({"t": t, **fields}, use_bin_type=True),
    st.sampled_from(FILE_TYPES),
    st.dictionaries(
        st.sampled_from(["tid", "offset", "data", "path", "size", "request", "reason", "items"]),
        msgpack_values,
        max_size=5,
    ),
)


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=hostile([encode_message(m) for m in FILE_MESSAGES]) | near_file_messages)
def test_any_bytes_decode_as_a_file_message_or_raise_protocol_error(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_message(data)


@pytest.mark.parametrize("size", [1, 255, 256, 65_535, 65_536, 1 << 20])
@pytest.mark.parametrize(("tid", "offset"), [(1, 0), (2**52, 2**40 + 7)])
def test_a_chunk_sealed_in_pieces_is_the_same_document(size: int, tid: int, offset: int) -> None:
    chunk = FileChunk(tid, offset, bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    assert b"".join(encode_message_parts(chunk)) == encode_message(chunk)


def test_a_chunk_decodes_to_a_view_of_its_data_without_a_copy() -> None:
    chunk = FileChunk(7, 1 << 20, b"\x01" * 4096)
    document = bytearray(encode_message(chunk))
    decoded = decode_message(document)
    assert decoded == chunk
    assert isinstance(decoded, FileChunk)
    assert isinstance(decoded.data, memoryview)
    assert decoded.data.obj is document


@pytest.mark.parametrize(
    "damage",
    [
        lambda doc: doc + b"\x00",  # a byte after the document
        lambda doc: doc[:-1],  # the data cut short
        lambda doc: doc.replace(b"\xa3tid", b"\xa3tiD"),  # a wrong field name
    ],
)
def test_a_damaged_chunk_document_is_refused(damage: Any) -> None:
    document = encode_message(FileChunk(7, 0, b"\x01" * 4096))
    with pytest.raises(ProtocolError):
        decode_message(damage(document))


def test_a_chunk_over_the_limit_is_refused_however_it_is_laid_out() -> None:
    document = encode_message(FileChunk(7, 0, b"\x01" * 4097))
    with pytest.raises(LimitExceededError):
        decode_message(document, Limits(max_chunk_bytes=4096))
