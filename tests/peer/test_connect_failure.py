"""Why a connection to the relay failed, one sentence per cause, from the errors the OS raises.

The end-to-end tests drive the causes loopback can produce (refused, not a
relay, no answer, TLS on a plain relay, killed, stopped, frozen); these
cover the ones it cannot without leaving the machine, from the very
exception objects the resolver and the TLS stack raise.
"""

from __future__ import annotations

import socket
import ssl

import pytest
import trio_websocket

from peer._connection import connect_failure

RELAY = "wss://relay.example.org"


def real_gaierror() -> socket.gaierror:
    """The resolver's own 'no such name', got without asking any DNS server."""
    with pytest.raises(socket.gaierror) as info:
        socket.getaddrinfo("relay.example.org", 443, flags=socket.AI_NUMERICHOST)
    return info.value


def wrapped(error: OSError) -> trio_websocket.HandshakeError:
    """As trio-websocket raises it: a HandshakeError caused by trio's OSError group."""
    outer = OSError("all attempts to connect to relay.example.org:443 failed")
    outer.__cause__ = BaseExceptionGroup("attempts", [error])
    handshake = trio_websocket.HandshakeError()
    handshake.__cause__ = outer
    return handshake


def test_an_unknown_host_is_named() -> None:
    message = connect_failure(RELAY, wrapped(real_gaierror()), 10)
    assert message == "there is no host called 'relay.example.org'; check the relay address"


def test_a_name_that_cannot_be_looked_up_points_at_this_machines_network() -> None:
    error = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    message = connect_failure(RELAY, wrapped(error), 10)
    assert message.startswith("cannot look up the host 'relay.example.org'")
    assert "check this machine's network connection" in message


def test_a_refused_connection_says_nothing_listens() -> None:
    error = ConnectionRefusedError(111, "Connection refused")
    message = connect_failure(RELAY, wrapped(error), 10)
    assert message.startswith(f"nothing is listening at {RELAY} (connection refused)")


def test_a_certificate_that_fails_verification_warns_of_interception() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    message = connect_failure(RELAY, error, 10)
    assert "failed the TLS certificate check (self-signed certificate)" in message
    assert "someone may be intercepting" in message


def test_a_tls_handshake_failure_suggests_ws_for_a_relay_without_tls() -> None:
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    error.reason = "WRONG_VERSION_NUMBER"
    assert "TLS with wss://relay.example.org failed (WRONG_VERSION_NUMBER)" in connect_failure(
        RELAY, error, 10
    )


def test_a_time_out_says_how_long_we_waited() -> None:
    message = connect_failure(RELAY, trio_websocket.ConnectionTimeout(), 10)
    assert message.startswith(f"the relay at {RELAY} did not answer within 10 s")


def test_an_http_answer_that_is_no_websocket_is_not_a_helpline_relay() -> None:
    error = trio_websocket.ConnectionRejected(404, (), b"")
    assert "answered, but not as a Helpline relay (HTTP 404)" in connect_failure(RELAY, error, 10)


def test_an_unreachable_network_points_at_this_machines_network() -> None:
    error = OSError(101, "Network is unreachable")
    message = connect_failure(RELAY, wrapped(error), 10)
    assert message == (
        f"cannot reach {RELAY}: Network is unreachable; check this machine's network connection"
    )
