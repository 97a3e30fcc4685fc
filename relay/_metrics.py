"""The relay's figures for operators, in Prometheus text exposition format.

Plain counters and gauges updated by the server (single-threaded under trio,
so no locks) and rendered on ``GET /metrics``. Label values come only from
the relay's own fixed set of rejection reasons, never from client input, so
the number of series stays bounded.
"""

from __future__ import annotations

from collections import Counter

__all__ = ["CONTENT_TYPE", "RelayMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "helpline_relay_"


class RelayMetrics:
    def __init__(self) -> None:
        self.connections_open = 0
        self.connections_total = 0
        self.endpoints_open = 0
        self.rooms_open = 0
        self.forwarded_messages = 0
        self.forwarded_bytes = 0
        #: Bytes queued in the relay for all receivers together, right now.
        self.buffered_bytes = 0
        #: The most bytes ever queued for one receiver: stays within the
        #: per-receiver budget (plus at most one message) if backpressure works.
        self.receiver_buffered_bytes_peak = 0
        #: Endpoints whose reading is paused because a receiver of theirs is full.
        self.senders_waiting = 0
        self.rejections: Counter[str] = Counter()

    def reject(self, reason: str) -> None:
        self.rejections[reason] += 1

    def forwarded(self, payload_bytes: int) -> None:
        self.forwarded_messages += 1
        self.forwarded_bytes += payload_bytes

    def queued(self, delta: int, receiver_total: int) -> None:
        self.buffered_bytes += delta
        if receiver_total > self.receiver_buffered_bytes_peak:
            self.receiver_buffered_bytes_peak = receiver_total

    def render(self) -> str:
        lines: list[str] = []

        def metric(name: str, kind: str, doc: str, samples: list[tuple[str, int]]) -> None:
            lines.append(f"# HELP {PREFIX}{name} {doc}")
            lines.append(f"# TYPE {PREFIX}{name} {kind}")
            lines.extend(f"{PREFIX}{name}{labels} {value}" for labels, value in samples)

        metric("connections_open", "gauge", "TCP connections open.", [("", self.connections_open)])
        metric(
            "connections_total",
            "counter",
            "TCP connections accepted.",
            [("", self.connections_total)],
        )
        metric(
            "endpoints_open", "gauge", "Endpoints joined to a room.", [("", self.endpoints_open)]
        )
        metric("rooms_open", "gauge", "Rooms open.", [("", self.rooms_open)])
        metric(
            "forwarded_messages_total",
            "counter",
            "Messages forwarded between endpoints.",
            [("", self.forwarded_messages)],
        )
        metric(
            "forwarded_bytes_total",
            "counter",
            "Payload bytes forwarded between endpoints.",
            [("", self.forwarded_bytes)],
        )
        metric(
            "buffered_bytes",
            "gauge",
            "Bytes queued in the relay for slow receivers.",
            [("", self.buffered_bytes)],
        )
        metric(
            "receiver_buffered_bytes_peak",
            "gauge",
            "Most bytes ever queued for one receiver.",
            [("", self.receiver_buffered_bytes_peak)],
        )
        metric(
            "senders_waiting",
            "gauge",
            "Endpoints not being read because a receiver of theirs is full.",
            [("", self.senders_waiting)],
        )
        metric(
            "rejections_total",
            "counter",
            "Requests refused or connections closed by the relay, by reason.",
            [(f'{{reason="{reason}"}}', n) for reason, n in sorted(self.rejections.items())],
        )
        return "\n".join(lines) + "\n"
