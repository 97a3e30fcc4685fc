"""Every limit of the relay, in one frozen dataclass with documented defaults.

Each field is also a command-line flag (``--max-rooms`` for ``max_rooms``);
the CLI builds its flags from this class, so the help text lives here once,
in each field's ``metadata["help"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from codec import DEFAULT_LIMITS
from relay._errors import RelaySettingsError

__all__ = ["DEFAULT_SETTINGS", "RelaySettings"]

KiB = 1024
MiB = 1024 * KiB


def _doc(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True, slots=True)
class RelaySettings:
    host: str = field(default="127.0.0.1", metadata=_doc("address to listen on"))
    port: int = field(default=8765, metadata=_doc("TCP port to listen on (0 picks a free one)"))
    max_endpoints_per_room: int = field(
        default=16, metadata=_doc("endpoints one room may hold, host included")
    )
    max_rooms: int = field(default=10_000, metadata=_doc("rooms open at once"))
    max_connections: int = field(
        default=20_000,
        metadata=_doc("TCP connections open at once; more are answered 503 and closed"),
    )
    max_connections_per_address: int = field(
        default=256,
        metadata=_doc(
            "TCP connections one client address may hold open (an office behind one NAT"
            " shares it); more are answered 429 and closed"
        ),
    )
    max_rooms_per_address: int = field(
        default=32, metadata=_doc("rooms one client address may hold open at once")
    )
    rooms_per_minute: int = field(
        default=30, metadata=_doc("CreateRoom requests allowed per client address per minute")
    )
    pairing_timeout: float = field(
        default=900.0,
        metadata=_doc("seconds a room may wait for its first joiner before it is closed"),
    )
    # The codec refuses larger envelopes anyway, so a bigger relay limit would
    # only forward messages every peer drops.
    max_message_bytes: int = field(
        default=DEFAULT_LIMITS.max_envelope_bytes,
        metadata=_doc("largest envelope in bytes; a larger one closes its connection (1009)"),
    )
    receiver_buffer_bytes: int = field(
        default=8 * MiB,
        metadata=_doc("bytes queued for one receiver before the relay stops reading its senders"),
    )
    send_buffer_bytes: int = field(
        default=1 * MiB,
        metadata=_doc(
            "kernel send buffer per connection (SO_SNDBUF): what a stalled receiver can"
            " hold beyond the relay's own queue"
        ),
    )
    total_buffer_bytes: int = field(
        default=256 * MiB,
        metadata=_doc(
            "bytes queued for all receivers together; beyond it each receiver gets one"
            " message at a time"
        ),
    )
    slow_receiver_timeout: float = field(
        default=30.0,
        metadata=_doc("seconds a receiver may take to accept one message before it is dropped"),
    )
    handshake_timeout: float = field(
        default=10.0,
        metadata=_doc("seconds from connecting to the first envelope (CreateRoom or JoinRoom)"),
    )
    idle_timeout: float = field(
        default=60.0,
        metadata=_doc(
            "seconds of silence (no message, no pong) before a connection is closed;"
            " it is pinged after half of it"
        ),
    )
    close_timeout: float = field(
        default=2.0, metadata=_doc("seconds allowed for a clean WebSocket close")
    )
    failed_joins_per_minute: int = field(
        default=20,
        metadata=_doc(
            "refused joins allowed per client address per minute (no such room, a full"
            " room: a scan of room ids); joins that get in cost nothing"
        ),
    )
    max_unanswered_joins: int = field(
        default=4,
        metadata=_doc(
            "joiners one room holds that its host has not answered yet; the next one"
            " takes the place of the one waiting longest"
        ),
    )
    join_answer_timeout: float = field(
        default=10.0,
        metadata=_doc(
            "seconds a joiner may wait for the room's host to answer it before it is closed"
        ),
    )
    trust_forwarded_for: bool = field(
        default=False,
        metadata=_doc(
            "take the client address from the last X-Forwarded-For entry"
            " (only behind a proxy that sets it, such as nginx)"
        ),
    )

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise RelaySettingsError(f"--port must be between 0 and 65535, not {self.port}")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "port" or isinstance(value, bool | str):
                continue
            if value <= 0:
                flag = "--" + f.name.replace("_", "-")
                raise RelaySettingsError(f"{flag} must be greater than 0, not {value}")
        if self.max_endpoints_per_room < 2:
            raise RelaySettingsError(
                "--max-endpoints-per-room must be at least 2 (a rep and a customer)"
            )


DEFAULT_SETTINGS = RelaySettings()
