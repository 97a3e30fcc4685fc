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

Sealing and opening call libsodium through PyNaCl's own cffi binding, in
place in one buffer: ``nacl.secret.Aead`` copies a frame five times (zeroed
output, copy out, nonce in front, our header in front, the padding), which
for a 1 MiB file chunk cost more than the cipher itself. The bytes are the
same (a test checks them against ``nacl.bindings``).
"""

from __future__ import annotations

import struct

import nacl.secret
from nacl._sodium import ffi, lib  # PyNaCl's cffi binding: in-place AEAD (see above)

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

__all__ = ["PAD_BUCKETS", "Channel", "padded_length"]

_HEADER = struct.Struct(">BQ")  # kind, counter
_AD = struct.Struct(">4sIIQ")  # version tag, sender, receiver, counter
_AD_TAG = b"hl01"
_TAG_BYTES = 16
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
        self._send_key = bytes(keys.send)
        self._receive_key = bytes(keys.receive)
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
        frame = bytearray(_HEADER.size + padded + _TAG_BYTES)  # zeroed: the padding's zeros
        _HEADER.pack_into(frame, 0, PayloadKind.SEALED, counter)
        at = _HEADER.size
        for part in (plaintext, *more):
            frame[at : at + len(part)] = part
            at += len(part)
        frame[at] = _PAD_MARK[0]
        body = ffi.from_buffer(frame) + _HEADER.size
        lib.crypto_aead_xchacha20poly1305_ietf_encrypt(
            body, ffi.NULL, body, padded, ad, len(ad), ffi.NULL, _nonce(counter), self._send_key
        )
        return bytes(frame)

    def open(self, payload: bytes) -> bytearray:
        """The plaintext of the next frame, or TamperedMessageError."""
        # The kind byte is not authenticated: any damage to it is tampering too,
        # so it must not come out as a mere "malformed" (or unknown-kind) error.
        if not payload:
            raise TamperedMessageError("rejected an empty message", reason="truncated")
        if payload[0] != PayloadKind.SEALED:
            raise TamperedMessageError("expected an encrypted frame, got something else")
        if len(payload) < _HEADER.size + _TAG_BYTES:
            raise TamperedMessageError("rejected a message that was cut short", reason="truncated")
        if len(payload) - _HEADER.size - _TAG_BYTES > padded_length(self._limits.max_message_bytes):
            raise LimitExceededError("encrypted message exceeds the message size limit")
        _, counter = _HEADER.unpack_from(payload)
        if counter < self._received:
            raise TamperedMessageError(
                f"rejected a replayed or late message (number {counter} is behind)",
                reason="replayed",
            )
        ad = _AD.pack(_AD_TAG, self.remote_id, self.local_id, counter)
        sealed = len(payload) - _HEADER.size
        padded = bytearray(sealed - _TAG_BYTES)
        failed = lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ffi.from_buffer(padded),
            ffi.NULL,
            ffi.NULL,
            ffi.from_buffer(payload) + _HEADER.size,
            sealed,
            ad,
            len(ad),
            _nonce(counter),
            self._receive_key,
        )
        if failed:
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


def _unpad(padded: bytearray) -> bytearray:
    # Authenticated already, so a bad padding means a broken peer, not the relay.
    end = len(padded)
    if end and padded[-1] != _PAD_MARK[0]:
        end = len(padded.rstrip(b"\x00"))  # padded to a bucket: a short message
    if not end or padded[end - 1] != _PAD_MARK[0]:
        raise ProtocolError("a sealed message without its padding mark", reason="malformed")
    del padded[end - 1 :]  # in place: no copy of a large plaintext
    return padded


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(nacl.secret.Aead.NONCE_SIZE, "big")
