"""The Helpline relay: rooms in memory, opaque envelopes routed by endpoint id.

It reads only the relay envelope (``codec``), never an application message,
and holds no key. ``helpline-relay`` (``relay.cli``) runs it from the shell;
:func:`serve_relay` runs it inside a trio program.
"""

from __future__ import annotations

from relay._errors import RejectedError, RelayError, RelaySettingsError
from relay._metrics import RelayMetrics
from relay._server import RunningRelay, serve_relay
from relay._settings import DEFAULT_SETTINGS, RelaySettings
from relay._version import VERSION

__all__ = [
    "DEFAULT_SETTINGS",
    "VERSION",
    "RejectedError",
    "RelayError",
    "RelayMetrics",
    "RelaySettings",
    "RelaySettingsError",
    "RunningRelay",
    "serve_relay",
]
