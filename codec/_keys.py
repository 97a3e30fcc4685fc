"""Key derivation: one key per purpose and per direction, from one secret.

BLAKE2b in keyed mode is the KDF (as libsodium's ``crypto_kdf`` does); the
``person`` parameter separates purposes so no key is ever used twice.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.public

from codec._errors import ProtocolError

__all__ = [
    "KEY_BYTES",
    "SESSION_ID_BYTES",
    "ChannelKeys",
    "check_public_key",
    "member_channel_keys",
]  # derive is codec-internal

KEY_BYTES = 32
SESSION_ID_BYTES = 16
# Any scalar will do: X25519 with a low-order point gives all zeros whatever
# the scalar, which libsodium refuses. It is a test, not a secret.
_PROBE_SCALAR = bytes([9]) * 32


@dataclass(frozen=True, slots=True)
class ChannelKeys:
    """The two keys of one channel, seen from one end."""

    send: bytes
    receive: bytes


def derive(secret: bytes, purpose: bytes, context: bytes = b"") -> bytes:
    if len(purpose) > 16:
        raise ValueError("purpose labels are at most 16 bytes (BLAKE2b person)")
    return hashlib.blake2b(context, key=secret, person=purpose, digest_size=KEY_BYTES).digest()


def check_public_key(key: bytes) -> None:
    """Refuse an X25519 public key no shared secret can come from.

    A low-order point (32 zero bytes, for one) makes every shared secret
    all zeros: a channel under it would be readable by anyone, and nacl
    raises on it, so it must be caught before a roster carries it.
    """
    if len(key) != nacl.public.PublicKey.SIZE:
        raise ProtocolError("a public key must be 32 bytes", reason="bad-key")
    try:
        nacl.bindings.crypto_scalarmult(_PROBE_SCALAR, key)
    except (nacl.exceptions.CryptoError, RuntimeError, ValueError, TypeError):
        raise ProtocolError("an unusable (low-order) public key", reason="bad-key") from None


def member_channel_keys(
    own_private: nacl.public.PrivateKey,
    peer_public: bytes,
    own_id: int,
    peer_id: int,
    session_id: bytes,
) -> ChannelKeys:
    """Keys for a member-to-member channel, from X25519 keys the roster vouched for.

    Both ends compute the same shared secret; the direction (who sends to
    whom) and the host's random session id go into the derivation, so each
    direction gets its own key and no key outlives this session. Raises
    ProtocolError (never a nacl exception) for a key that cannot be used.
    """
    check_public_key(peer_public)
    try:
        shared = nacl.public.Box(own_private, nacl.public.PublicKey(peer_public)).shared_key()
    except (nacl.exceptions.CryptoError, RuntimeError, ValueError, TypeError):
        raise ProtocolError("an unusable public key", reason="bad-key") from None
    return ChannelKeys(
        send=derive(shared, b"hl-m2m-dir", session_id + struct.pack(">II", own_id, peer_id)),
        receive=derive(shared, b"hl-m2m-dir", session_id + struct.pack(">II", peer_id, own_id)),
    )
