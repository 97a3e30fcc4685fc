"""Hard limits for everything codec decodes, in one place.

Every decoder takes a :class:`Limits` so a site can tighten them; the
defaults are sized for a 4K screen and a chatty session, not for the largest
thing an attacker could ask us to allocate.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits"]

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True, slots=True)
class Limits:
    #: Largest relay envelope (header plus opaque payload) on the wire.
    max_envelope_bytes: int = 4 * MiB
    #: Largest decrypted application message.
    max_message_bytes: int = 4 * MiB - 1 * KiB
    #: Nesting depth of any msgpack document we accept.
    max_depth: int = 8
    #: Items in any one msgpack array or map.
    max_items: int = 4096
    #: Characters in a display name.
    max_name_chars: int = 64
    #: Characters in one chat message.
    max_chat_chars: int = 8000
    #: Members a roster may list.
    max_members: int = 64
    #: Screen: pixels on either side of a framebuffer (8K is 7680x4320).
    max_screen_side: int = 8192
    #: Screen: bytes one update may decompress to.
    max_update_bytes: int = 64 * MiB
    #: Files: characters in a path from the other side (before it is made safe).
    max_path_chars: int = 4096
    #: Files: bytes of file data in one chunk.
    max_chunk_bytes: int = 3 * MiB
    #: Files: the most a receiver may let one transfer have in flight.
    max_window_bytes: int = 64 * MiB


DEFAULT_LIMITS = Limits()
