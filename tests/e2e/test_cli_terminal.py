"""At a terminal: line editing, history, completion, and lines arriving above the typing.

The person under test runs on a real pseudo-terminal and the test reads the
emulated screen; the other side of the conversation runs on plain pipes,
which also shows that plain line mode is untouched.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from tests.e2e.terminal import CTRL_C, ENTER, LEFT, TAB, UP, open_terminal
from tests.e2e.workplace import CODE, machine

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from peer._console import Console
    from tests.e2e.terminal import Terminal

PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"


@asynccontextmanager
async def rep_on_pipes_customer_on_a_terminal(
    tmp: Path, relay: str
) -> AsyncIterator[tuple[Console, Terminal]]:
    rep, cust = machine(tmp, "rep"), machine(tmp, "customer")
    async with rep.run("alice", "start", "--relay", relay, "--name", "Alice") as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        join = ["join", code, "--relay", relay, "--name", "Bob"]
        async with open_terminal(*join, env=cust.env()) as bob:
            await bob.wait_for(r"^In this session: Alice \(rep\)$")
            await bob.wait_for_prompt()
            await alice.expect(r"^\* Bob joined")
            yield alice, bob


async def test_an_incoming_line_appears_above_the_line_being_typed(
    tmp_path: Path, relay_process: str
) -> None:
    async with rep_on_pipes_customer_on_a_terminal(tmp_path, relay_process) as (alice, bob):
        await bob.type("I am typing a long sent")
        await bob.wait_for(r"^> I am typing a long sent$")
        await alice.send("Interrupting you")
        await bob.wait_for(r"^\[rep\] Alice: Interrupting you$")
        await bob.wait_for(r"^> I am typing a long sent$")
        rows = bob.rows()
        assert rows.index("[rep] Alice: Interrupting you") < rows.index("> I am typing a long sent")
        assert bob.cursor_row() == "> I am typing a long sent"
        await bob.type("ence")
        await bob.press(ENTER)
        await alice.expect(r"^\[customer\] Bob: I am typing a long sentence$")


async def test_the_line_can_be_edited_and_earlier_lines_come_back(
    tmp_path: Path, relay_process: str
) -> None:
    async with rep_on_pipes_customer_on_a_terminal(tmp_path, relay_process) as (alice, bob):
        await bob.type("helo there")
        await bob.press(LEFT * 7 + b"l" + ENTER)
        await alice.expect(r"^\[customer\] Bob: hello there$")
        await bob.press(UP + ENTER)
        await alice.expect(r"^\[customer\] Bob: hello there$")


async def test_tab_completes_commands_and_member_names(tmp_path: Path, relay_process: str) -> None:
    async with rep_on_pipes_customer_on_a_terminal(tmp_path, relay_process) as (alice, bob):
        # "/t" could be /to or /transfer-control: "/to" is not.
        await bob.type("/to")
        await bob.press(TAB)
        await bob.wait_for(r"^> /to$")
        await bob.type("Al")
        await bob.press(TAB)
        await bob.wait_for(r"^> /to Alice$")
        await bob.type("psst")
        await bob.press(ENTER)
        await alice.expect(r"^\[customer\] Bob \(private\): psst$")


async def test_a_paste_over_the_limit_is_refused_whole_with_its_length(
    tmp_path: Path, relay_process: str
) -> None:
    async with rep_on_pipes_customer_on_a_terminal(tmp_path, relay_process) as (alice, bob):
        await bob.press(PASTE_START + b"x" * 100_000 + PASTE_END + ENTER)
        # The refusal may land on the fresh prompt's row when prompt_toolkit
        # redraws after a paste this size; what matters is that it is shown.
        await bob.wait_for(r"^(> )?! not sent: 100,000 characters is over the limit of 8,000$")
        await bob.type("after the paste")
        await bob.press(ENTER)
        await alice.expect(r"^\[customer\] Bob: after the paste$")
        assert not [line for line in alice.lines if "xxxx" in line]


async def test_ctrl_c_prints_what_quit_prints(tmp_path: Path, relay_process: str) -> None:
    async with rep_on_pipes_customer_on_a_terminal(tmp_path, relay_process) as (alice, bob):
        await bob.press(CTRL_C)
        await bob.wait_for(r"^You left the session\.$")
        assert await bob.wait_exit() == 0
        assert bob.line_mode_restored()
        await alice.expect(r"^\* Bob left$")


async def test_the_reps_quit_with_others_present_asks_once_before_ending(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    start = ["start", "--relay", relay_process, "--name", "Alice"]
    async with open_terminal(*start, env=rep.env()) as alice:
        row = await alice.wait_for(rf"^Session code: {CODE}$")
        code = row.split()[-1]
        await alice.wait_for(r"^Waiting for someone to join…$")
        join = ["join", code, "--relay", relay_process, "--name", "Bob"]
        async with cust.run("bob", *join) as bob:
            await alice.wait_for(r"^\* Bob joined \(customer\)$")
            await alice.wait_for(r"/help lists the commands")
            await alice.wait_for_prompt()
            await alice.press(CTRL_C)
            await alice.wait_for(r"^! Bob still in the session: /quit again \(or Ctrl-C\) ends it")
            await alice.type("/quit")
            await alice.press(ENTER)
            await alice.wait_for(r"^Add a note")
            await alice.press(ENTER)
            await bob.expect(r"^Session ended by Alice$")
            await alice.wait_for(r"^Session ended by Alice$")
            assert await alice.wait_exit() == 0
            assert alice.line_mode_restored()


async def test_a_session_ended_by_the_rep_leaves_no_prompt_behind(
    tmp_path: Path, relay_process: str
) -> None:
    async with rep_on_pipes_customer_on_a_terminal(tmp_path, relay_process) as (alice, bob):
        await alice.send("/end")
        await alice.expect(r"^Add a note")
        await alice.send("")
        await bob.wait_for(r"^Session ended by Alice$")
        assert await bob.wait_exit() == 0
        rows = [row for row in bob.rows() if row]
        assert rows[-1] == "Session ended by Alice", rows
        assert not [row for row in rows if row.startswith(">")], rows


async def test_a_customer_removed_by_the_rep_is_left_with_no_prompt_behind(
    tmp_path: Path, relay_process: str
) -> None:
    async with rep_on_pipes_customer_on_a_terminal(tmp_path, relay_process) as (alice, bob):
        await alice.send("/remove Bob")
        await bob.wait_for(r"Alice removed you from the session")
        assert await bob.wait_exit() != 0
        rows = [row for row in bob.rows() if row]
        assert "".join(rows).endswith("ask the rep for a new code"), rows  # the last, wrapped
        assert not [row for row in rows if row.startswith(">")], rows


async def test_a_y_typed_for_one_question_does_not_answer_the_one_that_replaced_it(
    tmp_path: Path, relay_process: str
) -> None:
    async with rep_on_pipes_customer_on_a_terminal(tmp_path, relay_process) as (alice, bob):
        await alice.send("/file-access")
        await bob.wait_for(r"asks for file access")
        await bob.type("y")  # meant for file access; Enter comes after the swap
        await alice.send("/end-files")
        await bob.wait_for(r"^\* Alice ended file transfer$")
        await alice.send("/sysinfo")
        await bob.wait_for(r"^\s+Helpline version: ")  # the details to be sent
        await bob.wait_for(r"^Allow\? \[y/N\]$")
        await bob.press(ENTER)
        await bob.wait_for(r"came before this question was shown; nothing was sent")
        await bob.type("n")
        await bob.press(ENTER)
        await alice.expect(r"^! Bob refused to send system information\.$")
        assert not any("granted" in line for line in alice.lines if "system" in line)
