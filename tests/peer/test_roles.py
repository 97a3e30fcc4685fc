"""Several customers and an assistant through a real relay (SPEC M1, M4, C1, S5)."""

from __future__ import annotations

import pytest

from codec import Role
from peer._errors import NotAllowedError
from peer._events import ChatReceived, CodeChanged, MemberJoined, PrimaryChanged
from peer._open import open_hosted_session, open_joined_session
from tests.peer.helpers import invite, next_event
from tests.peer.wiretap import open_wiretap, sealed_sends_to


async def test_an_assistant_joins_with_its_code_and_everyone_sees_the_roles(
    relay_url: str,
) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with open_joined_session(invite(rep), "Bob") as bob:
            await rep.assistant_code()
            await next_event(rep, CodeChanged)
            async with open_joined_session(invite(rep), "Dave", assist=True) as dave:
                joined = await next_event(bob, MemberJoined)
                assert (joined.name, joined.role) == ("Dave", Role.ASSISTANT)
                assert dave.role is Role.ASSISTANT
                assert [(m.name, m.role) for m in dave.roster()] == [
                    ("Alice", Role.REP),
                    ("Bob", Role.CUSTOMER),
                    ("Dave", Role.ASSISTANT),
                ]
                assert dave.primary is not None
                assert dave.primary.name == "Bob"
                with pytest.raises(NotAllowedError, match="only the controlling rep"):
                    await dave.end()


async def test_a_private_message_among_four_reaches_only_its_recipients(relay_url: str) -> None:
    """Rep, assistant and two customers: the relay never carries it to the other two."""
    async with open_wiretap(relay_url) as tap, open_hosted_session(tap.url, "Alice") as rep:
        async with open_joined_session(invite(rep), "Bob") as bob:
            async with open_joined_session(invite(rep), "Carol") as carol:
                await rep.assistant_code()
                async with open_joined_session(invite(rep), "Dave", assist=True) as dave:
                    await next_event(carol, MemberJoined)  # Dave
                    bystanders = {s.id: sealed_sends_to(tap, s.id) for s in (bob, dave)}
                    to_carol = sealed_sends_to(tap, carol.id)
                    await bob.send_chat("only for Carol and the rep", to=["carol", "alice"])
                    chat = await next_event(carol, ChatReceived)
                    assert (chat.sender, chat.private, chat.role) == ("Bob", True, Role.CUSTOMER)
                    assert (await next_event(rep, ChatReceived)).text == chat.text
                    await rep.send_chat("to all")
                    assert (await next_event(dave, ChatReceived)).text == "to all"
                    assert (await next_event(bob, ChatReceived)).text == "to all"
                    assert {s.id: sealed_sends_to(tap, s.id) for s in (bob, dave)} == {
                        sid: n + 1 for sid, n in bystanders.items()
                    }
                    assert sealed_sends_to(tap, carol.id) >= to_carol + 2


async def test_the_rep_makes_another_customer_primary(relay_url: str) -> None:
    async with open_hosted_session(relay_url, "Alice") as rep:
        async with (
            open_joined_session(invite(rep), "Bob") as bob,
            open_joined_session(invite(rep), "Carol") as carol,
        ):
            assert rep.primary is not None
            assert rep.primary.name == "Bob"
            await rep.set_primary("carol")
            for session in (bob, carol):
                assert (await next_event(session, PrimaryChanged)).name == "Carol"
            assert bob.primary is not None
            assert bob.primary.name == "Carol"
