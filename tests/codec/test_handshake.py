"""The join handshake: a joiner and the host wired together with bytes.

:class:`JoinPair` is h11's ``ConnectionPair`` idea: it carries each side's
payload to the other exactly as the relay would, so a test states only what
the joiner typed and what each side ends up with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from codec import (
    Admission,
    Admitted,
    AttemptFailed,
    Channel,
    HandshakeReply,
    JoinerHandshake,
    LocalProtocolError,
    ProtocolError,
    SessionCode,
    WrongCodeError,
    abort_payload,
)
from codec._handshake import HostHandshake, HostState, JoinerState
from codec._payload import PayloadKind

if TYPE_CHECKING:
    from codec._admission import AdmissionEvent

HOST_ID = 0
NOW = 1000.0
CODE = SessionCode("48219376", 3, "093617")


@dataclass
class JoinResult:
    joiner: JoinerHandshake
    #: What the joiner raised on the host's reply (None when it accepted it).
    joiner_error: ProtocolError | None
    #: The Admission's answer to the joiner's last payload (confirmation or abort).
    host_event: AdmissionEvent


class JoinPair:
    """One host's Admission and any number of joiners, wired with bytes."""

    def __init__(
        self, code: SessionCode = CODE, *, max_failures: int = 3, timeout: float = 30.0
    ) -> None:
        self.admission = Admission(code, max_failures=max_failures, handshake_timeout=timeout)

    def start(
        self, joiner_id: int, typed: SessionCode, now: float = NOW
    ) -> tuple[JoinerHandshake, HandshakeReply]:
        """The joiner sends its SPAKE2 message; return it and the host's reply."""
        joiner = JoinerHandshake(typed)
        reply = self.admission.receive(joiner_id, joiner.start(), now)
        assert isinstance(reply, HandshakeReply)
        assert reply.to == joiner_id
        return joiner, reply

    def finish(
        self, joiner_id: int, joiner: JoinerHandshake, reply: HandshakeReply, now: float = NOW
    ) -> JoinResult:
        """The joiner answers the host's reply as a real peer would: confirm or abort."""
        try:
            answer = joiner.receive(reply.payload)
        except WrongCodeError as e:
            return JoinResult(joiner, e, self.admission.receive(joiner_id, abort_payload(), now))
        return JoinResult(joiner, None, self.admission.receive(joiner_id, answer, now))

    def join(self, joiner_id: int, typed: SessionCode, now: float = NOW) -> JoinResult:
        joiner, reply = self.start(joiner_id, typed, now)
        return self.finish(joiner_id, joiner, reply, now)


def admitted_channels(joiner_id: int = 5) -> tuple[Channel, Channel]:
    """A joiner's and the host's channel after a successful join."""
    result = JoinPair().join(joiner_id, CODE)
    assert isinstance(result.host_event, Admitted)
    joiner = Channel(result.joiner.keys, joiner_id, HOST_ID)
    host = Channel(result.host_event.keys, HOST_ID, joiner_id)
    return joiner, host


def wrong(code: SessionCode = CODE) -> SessionCode:
    """The same room with a secret one digit off."""
    last = str((int(code.secret[-1]) + 1) % 10)
    return SessionCode(code.room, code.label, code.secret[:-1] + last)


# The right code -------------------------------------------------------------


def test_the_same_code_gives_both_sides_the_same_channel_keys() -> None:
    result = JoinPair().join(5, CODE)
    assert result.joiner_error is None
    assert isinstance(result.host_event, Admitted)
    host_keys = result.host_event.keys
    assert result.host_event.id == 5
    assert result.joiner.state is JoinerState.ESTABLISHED
    assert result.joiner.keys.send == host_keys.receive
    assert result.joiner.keys.receive == host_keys.send
    assert host_keys.send != host_keys.receive
    assert all(len(k) == 32 for k in (host_keys.send, host_keys.receive))


def test_the_same_code_gives_a_working_channel_both_ways() -> None:
    joiner, host = admitted_channels()
    assert host.open(joiner.seal(b"hello from the customer")) == b"hello from the customer"
    assert joiner.open(host.seal(b"hello from the rep")) == b"hello from the rep"
    assert host.open(joiner.seal(b"")) == b""


def test_a_code_typed_with_spaces_and_dashes_is_the_same_code() -> None:
    result = JoinPair().join(5, SessionCode.parse("  4821 9376 - 309 3617 "))
    assert isinstance(result.host_event, Admitted)


def test_every_join_gets_fresh_keys() -> None:
    pair = JoinPair()
    first = pair.join(5, CODE)
    second = pair.join(6, pair.admission.code)  # a code admits one person
    assert first.joiner.keys.send != second.joiner.keys.send
    assert first.joiner.keys.receive != second.joiner.keys.receive


# A wrong code ---------------------------------------------------------------


def test_wrong_code_fails_on_both_sides() -> None:
    result = JoinPair().join(5, wrong())
    assert isinstance(result.joiner_error, WrongCodeError)
    assert result.joiner_error.reason == "wrong-code"
    assert "wrong code, or someone interfered" in str(result.joiner_error)
    assert result.joiner.state is JoinerState.FAILED
    assert isinstance(result.host_event, AttemptFailed)
    assert result.host_event.id == 5
    assert result.host_event.failures == 1
    assert "wrong session code" in result.host_event.reason


def test_a_joiner_with_a_wrong_code_gets_no_keys() -> None:
    result = JoinPair().join(5, wrong())
    with pytest.raises(LocalProtocolError):
        _ = result.joiner.keys


def test_the_room_id_is_part_of_the_password() -> None:
    result = JoinPair().join(5, SessionCode("48219377", CODE.label, CODE.secret))
    assert isinstance(result.joiner_error, WrongCodeError)
    assert isinstance(result.host_event, AttemptFailed)


def test_a_joiner_that_skips_the_check_and_confirms_anyway_is_refused() -> None:
    pair = JoinPair()
    pair.start(5, wrong())
    forged = bytes([PayloadKind.CONFIRM]) + bytes(32)
    event = pair.admission.receive(5, forged, NOW)
    assert isinstance(event, AttemptFailed)
    assert event.failures == 1


def test_the_host_holds_no_keys_until_the_joiner_confirms() -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    joiner = JoinerHandshake(CODE)
    reply = host.receive(joiner.start())
    assert reply is not None
    assert host.state is HostState.AWAITING_CONFIRM
    with pytest.raises(LocalProtocolError):
        _ = host.keys
    confirm = joiner.receive(reply)
    assert host.receive(confirm) is None
    assert host.keys.send == joiner.keys.receive


def test_the_host_raises_wrong_code_on_an_abort() -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    assert host.receive(JoinerHandshake(wrong()).start()) is not None
    with pytest.raises(WrongCodeError) as info:
        host.receive(abort_payload())
    assert info.value.reason == "wrong-code"
    assert host.state is HostState.FAILED


def test_a_joiner_cannot_start_twice() -> None:
    joiner = JoinerHandshake(CODE)
    joiner.start()
    with pytest.raises(LocalProtocolError):
        joiner.start()


# Out of turn and garbage ----------------------------------------------------


def assert_plain_protocol_error(error: ProtocolError, reason: str) -> None:
    assert type(error) is ProtocolError
    assert error.reason == reason


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(bytes([PayloadKind.CONFIRM]) + bytes(32), id="confirm-first"),
        pytest.param(abort_payload(), id="abort-first"),
        pytest.param(bytes([PayloadKind.PAKE_REPLY]) + bytes(65), id="reply-to-host"),
        pytest.param(bytes([PayloadKind.SEALED]) + bytes(40), id="sealed"),
    ],
)
def test_a_host_refuses_a_first_payload_out_of_turn(payload: bytes) -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    with pytest.raises(ProtocolError) as info:
        host.receive(payload)
    assert_plain_protocol_error(info.value, "protocol")
    assert host.state is HostState.FAILED


def test_a_host_refuses_a_second_pake() -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    joiner = JoinerHandshake(CODE)
    pake = joiner.start()
    host.receive(pake)
    with pytest.raises(ProtocolError) as info:
        host.receive(pake)
    assert_plain_protocol_error(info.value, "protocol")
    assert host.state is HostState.FAILED


def test_a_failed_host_handshake_stays_failed() -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    joiner = JoinerHandshake(CODE)
    with pytest.raises(ProtocolError):
        host.receive(b"\x63")
    with pytest.raises(ProtocolError):
        host.receive(joiner.start())


@pytest.mark.parametrize("payload", [b"", b"\x00", b"\x63garbage", b"\xff"])
def test_a_payload_of_no_known_kind_is_malformed_and_ends_the_join(payload: bytes) -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    joiner = JoinerHandshake(CODE)
    pake = joiner.start()
    reply = host.receive(pake)
    assert reply is not None
    with pytest.raises(ProtocolError) as info:
        joiner.receive(payload)
    assert_plain_protocol_error(info.value, "malformed")
    assert joiner.state is JoinerState.FAILED
    # The error is sticky: the genuine reply arriving afterwards is refused too.
    with pytest.raises(ProtocolError):
        joiner.receive(reply)
    with pytest.raises(ProtocolError) as info:
        host.receive(payload)
    assert_plain_protocol_error(info.value, "malformed")
    assert host.state is HostState.FAILED


def test_a_joiner_refuses_a_reply_before_it_started() -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    reply = host.receive(JoinerHandshake(CODE).start())
    assert reply is not None
    joiner = JoinerHandshake(CODE)
    with pytest.raises(ProtocolError) as info:
        joiner.receive(reply)
    assert_plain_protocol_error(info.value, "protocol")
    assert joiner.state is JoinerState.FAILED


def test_a_joiner_refuses_a_second_reply() -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    joiner = JoinerHandshake(CODE)
    reply = host.receive(joiner.start())
    assert reply is not None
    joiner.receive(reply)
    with pytest.raises(ProtocolError) as info:
        joiner.receive(reply)
    assert_plain_protocol_error(info.value, "protocol")


@pytest.mark.parametrize(
    "kind", [PayloadKind.PAKE, PayloadKind.CONFIRM, PayloadKind.ABORT, PayloadKind.SEALED]
)
def test_a_joiner_refuses_anything_but_a_reply(kind: PayloadKind) -> None:
    joiner = JoinerHandshake(CODE)
    joiner.start()
    with pytest.raises(ProtocolError) as info:
        joiner.receive(bytes([kind]) + bytes(65))
    assert_plain_protocol_error(info.value, "protocol")


@pytest.mark.parametrize("length", [n for n in range(70) if n != 33])
def test_a_spake2_message_of_the_wrong_length_is_malformed(length: int) -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    with pytest.raises(ProtocolError) as info:
        host.receive(bytes([PayloadKind.PAKE]) + b"A" * length)
    assert_plain_protocol_error(info.value, "malformed")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"A" + b"\xff" * 32, id="not-a-point"),
        pytest.param(b"A" + b"\x01" + bytes(31), id="identity"),
        pytest.param(b"A" + bytes(32), id="zero"),
        pytest.param(b"B" + os.urandom(32), id="host-side-tag"),
        pytest.param(b"S" + os.urandom(32), id="symmetric-tag"),
    ],
)
def test_a_garbage_spake2_message_of_the_right_length_is_malformed(body: bytes) -> None:
    host = HostHandshake(CODE.password, deadline=NOW)
    with pytest.raises(ProtocolError) as info:
        host.receive(bytes([PayloadKind.PAKE]) + body)
    assert_plain_protocol_error(info.value, "malformed")


def assert_wrong_code_or_interference(error: ProtocolError) -> None:
    """A tampered reply and a wrong code look alike to the joiner: it says both."""
    assert isinstance(error, WrongCodeError)
    assert str(error).startswith("wrong code, or someone interfered with the connection")


@pytest.mark.parametrize("length", [0, 1, 32, 33, 34, 64, 66, 97])
def test_a_host_reply_of_the_wrong_length_reads_as_wrong_code_or_interference(
    length: int,
) -> None:
    joiner = JoinerHandshake(CODE)
    joiner.start()
    with pytest.raises(ProtocolError) as info:
        joiner.receive(bytes([PayloadKind.PAKE_REPLY]) + b"B" * length)
    assert_wrong_code_or_interference(info.value)
    assert joiner.state is JoinerState.FAILED


def test_a_reflected_spake2_message_reads_as_wrong_code_or_interference() -> None:
    """The relay bouncing the joiner's own message back must not pass for the host's."""
    joiner = JoinerHandshake(CODE)
    pake = joiner.start()
    with pytest.raises(ProtocolError) as info:
        joiner.receive(bytes([PayloadKind.PAKE_REPLY]) + pake[1:] + bytes(32))
    assert_wrong_code_or_interference(info.value)


def test_a_tampered_host_reply_with_the_right_code_reads_as_wrong_code_or_interference() -> None:
    joiner = JoinerHandshake(CODE)
    host = HostHandshake(CODE.password, deadline=NOW)
    reply = bytearray(host.receive(joiner.start()) or b"")
    reply[-1] ^= 0x01  # one bit of the host's confirmation
    with pytest.raises(ProtocolError) as info:
        joiner.receive(bytes(reply))
    assert_wrong_code_or_interference(info.value)


@pytest.mark.parametrize("_", range(20))
def test_a_random_host_reply_of_the_right_length_is_a_protocol_error(_: int) -> None:
    joiner = JoinerHandshake(CODE)
    joiner.start()
    with pytest.raises(ProtocolError):
        joiner.receive(bytes([PayloadKind.PAKE_REPLY]) + b"B" + os.urandom(64))
    assert joiner.state is JoinerState.FAILED
