"""XChaCha20-Poly1305 (IETF) sealed and opened by OpenSSL, in place.

XChaCha20-Poly1305 is ChaCha20-Poly1305 under a subkey: HChaCha20 of the
key and the first 16 bytes of the 24-byte nonce, with 4 zero bytes and the
nonce's last 8 bytes as the 12-byte nonce (draft-irtf-cfrg-xchacha,
section 2.3). libsodium, which PyNaCl wraps, runs it at about 1 GB/s on
these CPUs; OpenSSL's ChaCha20-Poly1305 (through ``cryptography``, already
installed for ``spake2``) takes AVX-512 code paths and runs at 2.6-2.8
GB/s. For a file transfer the cipher was the largest CPU cost on each
peer, so the channel seals and opens here; the frames are byte for byte
libsodium's (a test compares them), and nothing on the wire changes.

HChaCha20 itself runs once per key and nonce prefix: the channel's nonce
is its frame counter, whose first 16 bytes are zero for every counter a
channel can reach, so each direction derives one subkey. ``cryptography``
is imported by the first cipher made: the relay imports codec but never
seals, and keeps its memory for connections.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

__all__ = ["NONCE_BYTES", "TAG_BYTES", "XChaCha20Poly1305", "hchacha20"]

NONCE_BYTES = 24
TAG_BYTES = 16
_PREFIX_BYTES = 16
_MASK = 0xFFFFFFFF
_SIGMA = struct.unpack("<4I", b"expand 32-byte k")
#: The double round's quarter rounds: four columns, then four diagonals.
_ROUND = (
    (0, 4, 8, 12),
    (1, 5, 9, 13),
    (2, 6, 10, 14),
    (3, 7, 11, 15),
    (0, 5, 10, 15),
    (1, 6, 11, 12),
    (2, 7, 8, 13),
    (3, 4, 9, 14),
)


def hchacha20(key: bytes, nonce: bytes) -> bytes:
    """The 32-byte subkey HChaCha20 derives from a 32-byte *key* and a 16-byte *nonce*."""
    if len(key) != 32 or len(nonce) != _PREFIX_BYTES:
        raise ValueError("HChaCha20 takes a 32-byte key and a 16-byte nonce")
    s = [*_SIGMA, *struct.unpack("<8I", key), *struct.unpack("<4I", nonce)]
    for _ in range(10):
        for a, b, c, d in _ROUND:
            # a += b; d ^= a; d <<<= 16; c += d; b ^= c; b <<<= 12; then again, 8 and 7
            for x, y, z, turn in ((a, b, d, 16), (c, d, b, 12), (a, b, d, 8), (c, d, b, 7)):
                s[x] = (s[x] + s[y]) & _MASK
                v = s[z] ^ s[x]
                s[z] = ((v << turn) | (v >> (32 - turn))) & _MASK
    return struct.pack("<8I", *s[:4], *s[12:])


class XChaCha20Poly1305:
    """One key's XChaCha20-Poly1305, sealing and opening into buffers it is given."""

    def __init__(self, key: bytes) -> None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        self._cipher, self._forged = ChaCha20Poly1305, InvalidTag
        self._key = bytes(key)
        self._prefix: bytes | None = None
        self._aead: ChaCha20Poly1305 | None = None

    def _under(self, nonce: bytes) -> tuple[ChaCha20Poly1305, bytes]:
        """The subkey's cipher for *nonce*, and the 12-byte nonce to give it."""
        if len(nonce) != NONCE_BYTES:
            raise ValueError("XChaCha20 takes a 24-byte nonce")
        prefix = nonce[:_PREFIX_BYTES]
        if self._aead is None or prefix != self._prefix:
            self._aead = self._cipher(hchacha20(self._key, prefix))
            self._prefix = prefix
        return self._aead, bytes(4) + nonce[_PREFIX_BYTES:]

    def seal_into(
        self, nonce: bytes, plaintext: bytes | bytearray | memoryview, ad: bytes, out: memoryview
    ) -> None:
        """Write the ciphertext and tag of *plaintext* into *out* (which may be where it is)."""
        aead, short = self._under(nonce)
        aead.encrypt_into(short, plaintext, ad, out)

    def open_into(
        self, nonce: bytes, sealed: bytes | bytearray | memoryview, ad: bytes, out: memoryview
    ) -> bool:
        """Write the plaintext of *sealed* into *out*; False (and *out* zeroed) if forged."""
        aead, short = self._under(nonce)
        try:
            aead.decrypt_into(short, sealed, ad, out)
        except self._forged:
            out[:] = bytes(len(out))  # nothing unauthenticated is left to read
            return False
        return True
