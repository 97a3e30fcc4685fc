"""What the relay (or anyone on the wire) can and cannot do (SPEC X1, DESIGN security model)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from codec import Delivered, JoinTarget, encode_envelope
from peer._events import ChatReceived, MemberJoined, MessageRejected
from peer._open import open_hosted_session, open_joined_session
from tests.peer.helpers import next_event, pending_events
from tests.peer.wiretap import open_wiretap, rewrite_payload, sealed_delivery

if TYPE_CHECKING:
    from collections.abc import Callable

    from peer._session import Session


async def test_relay_sees_no_chat_text_no_name_and_no_code_secret(relay_url: str) -> None:
    async with open_wiretap(relay_url) as tap, open_hosted_session(tap.url, "Alice Smith") as rep:
        secret = rep.code.secret
        async with open_joined_session(JoinTarget(tap.url, rep.code), "Bob Jones") as bob:
            await next_event(rep, MemberJoined)
            await rep.send_chat("my password is hunter2")
            await next_event(bob, ChatReceived)
            await bob.send_chat("the printer is on fire")
            await next_event(rep, ChatReceived)
    assert len(tap.recorded) > 6  # the tap did see the whole session
    for needle in (b"hunter2", b"printer is on fire", b"Alice Smith", b"Bob Jones"):
        assert not tap.saw(needle), needle
    assert not tap.saw(secret.encode())


def _replay(message: bytes) -> list[bytes]:
    return [message, message] if sealed_delivery(message) else [message]


def _flip_a_bit(message: bytes) -> list[bytes]:
    env = sealed_delivery(message)
    if env is None:
        return [message]
    altered = bytearray(env.payload)
    altered[-5] ^= 0x01
    return [rewrite_payload(env, bytes(altered)), message]


def _truncate(message: bytes) -> list[bytes]:
    env = sealed_delivery(message)
    if env is None:
        return [message]
    return [rewrite_payload(env, env.payload[: len(env.payload) // 2]), message]


class _SwapFirstTwo:
    """Holds back the first sealed frame and sends it after the second."""

    def __init__(self) -> None:
        self.held: bytes | None = None
        self.done = False

    def __call__(self, message: bytes) -> list[bytes]:
        if self.done or sealed_delivery(message) is None:
            return [message]
        if self.held is None:
            self.held = message
            return []
        self.done = True
        return [message, self.held]


async def _chat_through_tamper(
    relay_url: str, tamper: Callable[[bytes], list[bytes]], texts: list[str]
) -> tuple[list[ChatReceived], list[MessageRejected]]:
    """The rep sends *texts*; the customer's incoming traffic goes through *tamper*
    (armed only after the roster arrived, so joining works)."""
    async with open_wiretap(relay_url, tamper_nth=2) as tap:
        async with open_hosted_session(tap.url, "Alice") as rep:
            async with open_joined_session(JoinTarget(tap.url, rep.code), "Bob") as bob:
                await next_event(rep, MemberJoined)
                tap.tamper = tamper
                for text in texts:
                    await rep.send_chat(text)
                await rep.send_chat("after")
                return await _events_until_chat(bob, "after")


async def _events_until_chat(
    session: Session, last: str
) -> tuple[list[ChatReceived], list[MessageRejected]]:
    """Chats and rejections the session reports, up to the chat *last*."""
    chats: list[ChatReceived] = []
    rejections: list[MessageRejected] = []
    with trio.fail_after(10):
        async for event in session.events:
            if isinstance(event, ChatReceived):
                if event.text == last:
                    break
                chats.append(event)
            elif isinstance(event, MessageRejected):
                rejections.append(event)
    return chats, rejections


async def test_replayed_message_is_rejected_and_reported(relay_url: str) -> None:
    chats, rejected = await _chat_through_tamper(relay_url, _replay, ["once"])
    assert [c.text for c in chats] == ["once"]
    assert "replayed" in rejected[0].reason


async def test_bit_flipped_message_is_rejected_and_never_shown(relay_url: str) -> None:
    chats, rejected = await _chat_through_tamper(relay_url, _flip_a_bit, ["genuine"])
    assert [c.text for c in chats] == ["genuine"]
    assert "altered" in rejected[0].reason


async def test_truncated_message_is_rejected_and_never_shown(relay_url: str) -> None:
    chats, rejected = await _chat_through_tamper(relay_url, _truncate, ["whole"])
    assert [c.text for c in chats] == ["whole"]
    assert "cut short" in rejected[0].reason


async def test_frames_the_relay_reordered_reach_the_customer_once_and_in_order(
    relay_url: str,
) -> None:
    """The relay swaps two of the rep's frames: the early one is held back and asked for again."""
    async with open_wiretap(relay_url, tamper_nth=2) as tap:
        async with open_hosted_session(tap.url, "Alice") as rep:
            async with open_joined_session(JoinTarget(tap.url, rep.code), "Bob") as bob:
                await next_event(rep, MemberJoined)
                tap.tamper = _SwapFirstTwo()
                await rep.send_chat("first")
                await rep.send_chat("second")
                await rep.send_chat("third")
                texts = [(await next_event(bob, ChatReceived)).text for _ in range(3)]
                assert texts == ["first", "second", "third"]
                assert not bob.finished.is_set()


async def test_frame_from_a_stranger_never_reaches_the_chat(relay_url: str) -> None:
    def redirect(message: bytes) -> list[bytes]:
        env = sealed_delivery(message)
        if env is None:
            return [message]
        return [encode_envelope(Delivered(999, env.payload)), message]

    async with open_wiretap(relay_url, tamper_nth=2) as tap:
        async with open_hosted_session(tap.url, "Alice") as rep:
            async with open_joined_session(JoinTarget(tap.url, rep.code), "Bob") as bob:
                await next_event(rep, MemberJoined)
                tap.tamper = redirect
                await rep.send_chat("hello")
                chat = await next_event(bob, ChatReceived)
                assert (chat.sender, chat.text) == ("Alice", "hello")
                assert not [e for e in pending_events(bob) if isinstance(e, ChatReceived)]
