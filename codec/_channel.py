"""An established end-to-end channel between two endpoints.

Each direction has its own XChaCha20-Poly1305 key and a message counter that
starts at zero. The counter is the nonce, so a key never sees a nonce twice,
and it travels in clear in front of the ciphertext so the receiver can say
*what* went wrong: an old counter is a replay, a counter from the future
means messages were dropped or reordered, and a frame that fails
authentication was altered or cut short. The associated data binds sender,
receiver and counter, so a frame cannot be redirected to another member.

A rejected frame is dropped unread and the channel stays usable: the next
genuine frame still opens. A genuine frame that arrives early (someone held
back or dropped the ones before it) is refused too, and the channel does
not move past it: frames are taken strictly in order, so the ones that
went missing can be sent again and taken once (:mod:`codec._resume`). A
refusal with reason ``reordered`` is such a gap; the session asks the
other end to resume from the frame it lacks.

Padding: the relay sees every frame's length, and a short frame's length
says a lot (a name's length in a ``Hello``, a "yes" in chat). Plaintexts
under 1 KiB are padded to one of a few bucket sizes before sealing; larger
ones (screen updates, file chunks) carry one byte of padding only, as their
size says little and padding them would cost bandwidth. The padding is
ISO/IEC 7816-4 style: a 0x80 byte, then zeros, inside the ciphertext.

Sealing and opening run in place in one buffer (opening too, when the
frame arrived in a buffer of its own): ``nacl.secret.Aead`` copies a frame
five times (zeroed output, copy out, nonce in front, our header in front,
the padding), which for a 1 MiB file chunk cost more than the cipher
itself. The cipher is OpenSSL's (:mod:`codec._xchacha`), three times as
fast as libsodium's here; the bytes are the same (a test checks them
against ``nacl.bindings``).
"""

from __future__ import annotations

import struct
from typing import overload

from codec._errors import (
    LimitExceededError,
    LocalProtocolError,
    ProtocolError,
    TamperedMessageError,
)
from codec._keys import KEY_BYTES, ChannelKeys
from codec._limits import DEFAULT_LIMITS, Limits
from codec._payload import PayloadKind
from codec._resume import ChannelSync
from codec._xchacha import NONCE_BYTES, TAG_BYTES, XChaCha20Poly1305

__all__ = ["PAD_BUCKETS", "Channel", "padded_length"]

_HEADER = struct.Struct(">BQ")  # kind, counter
_AD = struct.Struct(">4sIIQ")  # version tag, sender, receiver, counter
_AD_TAG = b"hl01"
_MAX_COUNTER = 2**64 - 1
#: Sealed plaintexts up to the largest bucket are padded to the smallest bucket that fits.
PAD_BUCKETS = (256, 1024)
_PAD_MARK = b"\x80"


class Channel:
    def __init__(
        self, keys: ChannelKeys, local_id: int, remote_id: int, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        if len(keys.send) != KEY_BYTES or len(keys.receive) != KEY_BYTES:
            raise LocalProtocolError("channel keys must be 32 bytes")
        self._sealer = XChaCha20Poly1305(bytes(keys.send))
        self._opener = XChaCha20Poly1305(bytes(keys.receive))
        self.local_id = local_id
        self.remote_id = remote_id
        self._limits = limits
        self._sent = 0
        self._received = 0
        #: Where frames resume after a drop, keyed from this channel's own keys.
        self.sync = ChannelSync(local_id, remote_id, keys.send, keys.receive)

    @property
    def sent(self) -> int:
        """The counter the next sealed frame gets."""
        return self._sent

    @property
    def received(self) -> int:
        """The counter of the next frame this end will open."""
        return self._received

    def seal(self, plaintext: bytes | memoryview, *more: bytes | memoryview) -> bytes:
        """The payload that carries *plaintext* (joined with *more*) to the other end."""
        size = len(plaintext) + sum(len(part) for part in more)
        if size > self._limits.max_message_bytes:
            raise LocalProtocolError(
                f"message of {size} bytes exceeds the "
                f"{self._limits.max_message_bytes}-byte limit; split it"
            )
        if self._sent >= _MAX_COUNTER:
            raise LocalProtocolError("channel counter exhausted; start a new channel")
        counter = self._sent
        self._sent += 1
        ad = _AD.pack(_AD_TAG, self.local_id, self.remote_id, counter)
        padded = padded_length(size)
        # Joined, not written into a zeroed buffer: each byte is written once.
        head = _HEADER.pack(PayloadKind.SEALED, counter)
        zeros = bytes(padded - size - len(_PAD_MARK) + TAG_BYTES)  # padding, room for the tag
        frame = bytearray().join((head, plaintext, *more, _PAD_MARK, zeros))
        with memoryview(frame) as view:
            body = view[_HEADER.size :]
            self._sealer.seal_into(_nonce(counter), body[:padded], ad, body)
            del body
        return bytes(frame)

    @overload
    def open(self, payload: bytes) -> bytearray: ...
    @overload
    def open(self, payload: bytearray | memoryview) -> memoryview: ...
    def open(self, payload: bytes | bytearray | memoryview) -> bytearray | memoryview:
        """The plaintext of the next frame, or TamperedMessageError.

        A writable *payload* (a bytearray, or a view of one, as a large message
        arrives) is decrypted in place and the plaintext is a view into it;
        after a refusal its body is zeros. Any other payload is left as it is.
        """
        # The kind byte is not authenticated: any damage to it is tampering too,
        # so it must not come out as a mere "malformed" (or unknown-kind) error.
        if not payload:
            raise TamperedMessageError("rejected an empty message", reason="truncated")
        if payload[0] != PayloadKind.SEALED:
            raise TamperedMessageError("expected an encrypted frame, got something else")
        if len(payload) < _HEADER.size + TAG_BYTES:
            raise TamperedMessageError("rejected a message that was cut short", reason="truncated")
        if len(payload) - _HEADER.size - TAG_BYTES > padded_length(self._limits.max_message_bytes):
            raise LimitExceededError("encrypted message exceeds the message size limit")
        _, counter = _HEADER.unpack_from(payload)
        if counter < self._received:
            raise TamperedMessageError(
                f"rejected a replayed or late message (number {counter} is behind)",
                reason="replayed",
            )
        ad = _AD.pack(_AD_TAG, self.remote_id, self.local_id, counter)
        sealed = len(payload) - _HEADER.size
        padded: bytearray | memoryview
        target: bytearray | memoryview
        if isinstance(payload, bytearray) or (
            isinstance(payload, memoryview) and not payload.readonly
        ):
            target, at = payload, _HEADER.size
            padded = memoryview(payload)[_HEADER.size : len(payload) - TAG_BYTES]
        else:
            padded = target = bytearray(sealed - TAG_BYTES)
            at = 0
        # Released at once, so that _unpad may shorten a bytearray in place.
        with memoryview(target) as out, memoryview(payload) as c:
            opened = self._opener.open_into(
                _nonce(counter), c[_HEADER.size :], ad, out[at : at + sealed - TAG_BYTES]
            )
        if not opened:
            raise TamperedMessageError(
                "rejected a message that was altered or cut short in transit", reason="forged"
            )
        if counter > self._received:
            # Authentic, but early: taking it would skip the frames before it for good.
            raise TamperedMessageError(
                f"held back a message that came early (number {counter} arrived while "
                f"{self._received} was expected; {counter - self._received} earlier lost "
                "or held back)",
                reason="reordered",
            )
        self._received = counter + 1
        plaintext = _unpad(padded)
        if len(plaintext) > self._limits.max_message_bytes:
            raise LimitExceededError("encrypted message exceeds the message size limit")
        return plaintext


def padded_length(plaintext_bytes: int) -> int:
    """How long a plaintext of *plaintext_bytes* is once padded for sealing."""
    marked = plaintext_bytes + len(_PAD_MARK)
    return next((bucket for bucket in PAD_BUCKETS if marked <= bucket), marked)


def _unpad(padded: bytearray | memoryview) -> bytearray | memoryview:
    # Authenticated already, so a bad padding means a broken peer, not the relay.
    end = len(padded)
    if end and padded[-1] != _PAD_MARK[0]:
        end = len(bytes(padded).rstrip(b"\x00"))  # padded to a bucket: a short message
    if not end or padded[end - 1] != _PAD_MARK[0]:
        raise ProtocolError("a sealed message without its padding mark", reason="malformed")
    if isinstance(padded, memoryview):
        return padded[: end - 1]
    del padded[end - 1 :]  # in place: no copy of a large plaintext
    return padded


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(NONCE_BYTES, "big")
