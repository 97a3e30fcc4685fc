"""Sessions end to end through a real relay: joining, roster, chat, ending (SPEC S, C1)."""

from __future__ import annotations

import pytest
import trio

from codec import JoinTarget, Role, SessionTimings, WrongCodeError
from peer._errors import (
    InvalidMessageError,
    NotAllowedError,
    RelayRefusedError,
    UnknownMemberError,
)
from peer._events import (
    ChatReceived,
    CodeChanged,
    JoinAttemptFailed,
    MemberAway,
    MemberJoined,
    MemberLeft,
    MessageRejected,
    SessionEnded,
)
from peer._open import open_hosted_session, open_joined_session
from relay import RunningRelay, serve_relay
from tests.conftest import free_relay_settings
from tests.peer.helpers import invite, next_event, pending_events
from tests.peer.wiretap import open_wiretap, sealed_sends_to

#: A drop nobody comes back from is given up after a second.
QUICK_RESUME = SessionTimings(resume_timeout=1.0)


async def test_customer_joins_with_the_code_and_both_see_each_other(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with open_joined_session(invite(rep), "Bob") as bob:
            joined = await next_event(rep, MemberJoined)
            assert (joined.name, joined.role) == ("Bob", Role.CUSTOMER)
            assert [(m.name, m.role) for m in bob.roster()] == [
                ("Alice", Role.REP),
                ("Bob", Role.CUSTOMER),
            ]


async def test_chat_reaches_everyone_both_ways(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with (
            open_joined_session(invite(rep), "Bob") as bob,
            open_joined_session(invite(rep), "Carol") as carol,
        ):
            await next_event(bob, MemberJoined)  # Carol
            await bob.send_chat("hello all")
            for session in (rep, carol):
                chat = await next_event(session, ChatReceived)
                assert (chat.sender, chat.text, chat.private) == ("Bob", "hello all", False)
            await rep.send_chat("hi Bob")
            assert (await next_event(bob, ChatReceived)).text == "hi Bob"


async def test_private_message_reaches_only_its_recipient(relay_url: str) -> None:
    """Carol is not sent the frame at all: the relay carries it to Bob alone."""
    async with open_wiretap(relay_url) as tap, open_hosted_session(tap.url, "Alice") as rep:
        async with (
            open_joined_session(invite(rep), "Bob") as bob,
            open_joined_session(invite(rep), "Carol") as carol,
        ):
            await next_event(bob, MemberJoined)
            before = sealed_sends_to(tap, carol.id)
            await rep.send_chat("just for you", to=["bob"])
            await rep.send_chat("for everyone")
            private = await next_event(bob, ChatReceived)
            assert (private.sender, private.text, private.private) == (
                "Alice",
                "just for you",
                True,
            )
            first_for_carol = await next_event(carol, ChatReceived)
            assert (first_for_carol.text, first_for_carol.private) == ("for everyone", False)
            assert sealed_sends_to(tap, carol.id) == before + 1
            assert not [e for e in pending_events(carol) if isinstance(e, MessageRejected)]


async def test_private_message_to_unknown_name_is_refused(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        with pytest.raises(UnknownMemberError, match="nobody called 'Zed'"):
            await rep.send_chat("psst", to=["Zed"])


async def test_two_customers_with_one_name_are_told_apart(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with (
            open_joined_session(invite(rep), "Bob") as first,
            open_joined_session(invite(rep), "Bob") as second,
        ):
            assert first.name == "Bob"
            assert second.name == "Bob (2)"


async def test_customer_cannot_end_the_session(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with open_joined_session(invite(rep), "Bob") as bob:
            with pytest.raises(NotAllowedError, match="only the controlling rep"):
                await bob.end()


async def test_rep_ending_closes_the_session_for_everyone(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with (
            open_joined_session(invite(rep), "Bob") as bob,
            open_joined_session(invite(rep), "Carol") as carol,
        ):
            await rep.end()
            for session in (bob, carol):
                ended = await next_event(session, SessionEnded)
                assert (ended.by, ended.lost) == ("Alice", None)


async def test_customer_leaving_is_announced_to_the_others(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with open_joined_session(invite(rep), "Carol") as carol:
            async with open_joined_session(invite(rep), "Bob") as bob:
                await next_event(carol, MemberJoined)
                await bob.leave()
            left = await next_event(rep, MemberLeft)
            assert (left.name, left.said_goodbye) == ("Bob", True)
            assert (await next_event(carol, MemberLeft)).name == "Bob"
            assert [m.name for m in carol.roster()] == ["Alice", "Carol"]


async def test_customer_vanishing_is_shown_away_then_gone_after_the_resume_time(
    relay_url: str,
) -> None:
    async with open_hosted_session(relay_url, "Alice", timings=QUICK_RESUME) as rep:
        async with open_joined_session(invite(rep), "Bob"):
            await next_event(rep, MemberJoined)
        away = await next_event(rep, MemberAway)
        assert (away.name, away.seconds) == ("Bob", QUICK_RESUME.resume_timeout)
        left = await next_event(rep, MemberLeft)
        assert (left.name, left.said_goodbye) == ("Bob", False)


async def test_rep_vanishing_ends_the_session_for_the_customer(relay_url: str) -> None:
    async with trio.open_nursery() as nursery:
        rep_gone = trio.Event()
        codes: list[JoinTarget] = []
        got_code = trio.Event()

        async def rep_side() -> None:
            async with open_hosted_session(relay_url, "Alice") as rep:
                codes.append(JoinTarget(relay_url, rep.code))
                got_code.set()
                await rep_gone.wait()

        nursery.start_soon(rep_side)
        await got_code.wait()
        async with open_joined_session(codes[0], "Bob", timings=QUICK_RESUME) as bob:
            rep_gone.set()
            assert (await next_event(bob, MemberAway)).name == "Alice"
            ended = await next_event(bob, SessionEnded)
            assert ended.by is None
            assert ended.lost is not None
            assert "the rep's side did not come back within 1 s" in ended.lost


async def test_wrong_code_fails_on_both_sides(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        wrong = rep.code.replace_secret()
        with pytest.raises(WrongCodeError, match="wrong code, or someone interfered"):
            async with open_joined_session(JoinTarget(relay_url, wrong), "Mallory"):
                pass
        failed = await next_event(rep, JoinAttemptFailed)
        assert (failed.failures, failed.max_failures) == (1, 3)
        assert rep.roster() == [rep.me]


async def test_three_failures_retire_the_code_and_only_the_new_one_works(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        old = rep.code
        wrong = old.replace_secret()
        for _ in range(3):
            with pytest.raises(WrongCodeError):
                async with open_joined_session(JoinTarget(relay_url, wrong), "Mallory"):
                    pass
        changed = await next_event(rep, CodeChanged)
        assert changed.code == str(rep.code) != str(old)
        with pytest.raises(WrongCodeError):
            async with open_joined_session(JoinTarget(relay_url, old), "Bob"):
                pass
        async with open_joined_session(invite(rep), "Bob") as bob:
            assert bob.name == "Bob"


async def test_joining_a_session_that_does_not_exist_says_so(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        missing = type(rep.code)("9" * 8, 1, "123456")
        with pytest.raises(
            RelayRefusedError, match=r"there is no session 9999-9999 .*the rep.s relay"
        ):
            async with open_joined_session(JoinTarget(relay_url, missing), "Bob"):
                pass


async def test_unread_events_do_not_include_the_senders_own_chat(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with open_joined_session(invite(rep), "Bob") as bob:
            await next_event(rep, MemberJoined)
            await rep.send_chat("ping")
            await next_event(bob, ChatReceived)
            assert not [e for e in pending_events(rep) if isinstance(e, ChatReceived)]


async def test_a_name_with_control_characters_is_refused(relay_url: str) -> None:
    with pytest.raises(InvalidMessageError, match=r"U\+001B ESCAPE is not allowed"):
        async with open_hosted_session(relay_url, "Eve\x1b[2J"):
            pass


async def test_chat_with_terminal_escapes_is_refused_before_sending(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        with pytest.raises(InvalidMessageError, match=r"not sent: U\+001B ESCAPE is not allowed"):
            await rep.send_chat("\x1b]0;pwned\x07")


async def test_a_relay_refusal_is_told_in_helplines_words_not_the_relays(
    nursery: trio.Nursery,
) -> None:
    relay: RunningRelay = await nursery.start(
        serve_relay, free_relay_settings(max_endpoints_per_room=2)
    )
    async with open_hosted_session(relay.url, "Alice") as rep:
        async with open_joined_session(invite(rep), "Bob"):
            with pytest.raises(RelayRefusedError) as info:
                async with open_joined_session(invite(rep), "Carol"):
                    pass
    assert str(info.value) == "the session is full"
    assert info.value.reason == "room-full"
