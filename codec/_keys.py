"""Key derivation: one key per purpose and per direction, from one secret.

BLAKE2b in keyed mode is the KDF (as libsodium's ``crypto_kdf`` does); the
``person`` parameter separates purposes so no key is ever used twice.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import nacl.public

__all__ = ["KEY_BYTES", "ChannelKeys", "member_channel_keys"]  # derive is codec-internal

KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class ChannelKeys:
    """The two keys of one channel, seen from one end."""

    send: bytes
    receive: bytes


def derive(secret: bytes, purpose: bytes, context: bytes = b"") -> bytes:
    if len(purpose) > 16:
        raise ValueError("purpose labels are at most 16 bytes (BLAKE2b person)")
    return hashlib.blake2b(context, key=secret, person=purpose, digest_size=KEY_BYTES).digest()


def member_channel_keys(
    own_private: nacl.public.PrivateKey, peer_public: bytes, own_id: int, peer_id: int
) -> ChannelKeys:
    """Keys for a member-to-member channel, from X25519 keys the roster vouched for.

    Both ends compute the same shared secret; the direction (who sends to
    whom) goes into the derivation so each direction gets its own key.
    """
    shared = nacl.public.Box(own_private, nacl.public.PublicKey(peer_public)).shared_key()
    return ChannelKeys(
        send=derive(shared, b"hl-m2m-dir", struct.pack(">II", own_id, peer_id)),
        receive=derive(shared, b"hl-m2m-dir", struct.pack(">II", peer_id, own_id)),
    )
