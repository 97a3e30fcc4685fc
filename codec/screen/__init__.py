"""The screen-delta codec: captured frames in, update messages out, and back.

A room of its own beside the protocol core: the encoder keeps an exact model
of the viewer's framebuffer and sends what changed (copies for moved content,
pixels through one zstd stream per epoch, optional lossy regions); the
decoder applies updates under hard limits. Sans-IO like the rest of codec.
"""

from __future__ import annotations

from codec.screen._decoder import ScreenDecoder
from codec.screen._encoder import ScreenEncoder

__all__ = ["ScreenDecoder", "ScreenEncoder"]
