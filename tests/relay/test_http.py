"""Health, metrics and the join page, served on the relay's own port."""

from __future__ import annotations

import re

import trio

from codec import MemberJoined, Send
from relay import VERSION
from tests.relay.clients import (
    WAIT,
    http_exchange,
    http_get,
    metric,
    open_member,
    start_relay,
)


async def test_healthz_says_ok(relay_url: str) -> None:
    status, headers, body = await http_get(relay_url, "/healthz")
    assert (status, body) == (200, b"ok\n")
    assert headers["content-type"].startswith("text/plain")


async def test_head_request_gets_headers_only(relay_url: str) -> None:
    status, headers, body = await http_get(relay_url, "/healthz", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["content-length"] == "3"


async def test_metrics_are_prometheus_text(relay_url: str) -> None:
    status, headers, body = await http_get(relay_url, "/metrics")
    assert status == 200
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = body.decode()
    for name, kind in [
        ("connections_open", "gauge"),
        ("rooms_open", "gauge"),
        ("forwarded_messages_total", "counter"),
        ("forwarded_bytes_total", "counter"),
        ("rejections_total", "counter"),
    ]:
        assert f"# TYPE helpline_relay_{name} {kind}\n" in text
    sample = re.compile(r'^helpline_relay_[a-z_]+(\{reason="[a-z-]+"\})? \d+$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line


async def test_metrics_count_rooms_connections_and_forwarded_traffic(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        assert await metric(relay_url, "rooms_open") == 0
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as guest,
        ):
            assert await host.receive() == MemberJoined(guest.id)
            for _ in range(3):
                await guest.send(Send(host.id, b"x" * 1000))
                await host.receive()
            await guest.send(Send(99, b"lost"))
            await guest.receive()
            assert await metric(relay_url, "rooms_open") == 1
            # Two endpoints plus the metrics request itself.
            assert await metric(relay_url, "connections_open") == 3
            assert await metric(relay_url, "forwarded_messages_total") == 3
            assert await metric(relay_url, "forwarded_bytes_total") == 3000
            assert await metric(relay_url, 'rejections_total{reason="no-such-member"}') == 1


async def test_join_page_explains_installing_and_joining_without_a_script(
    relay_url: str,
) -> None:
    status, headers, body = await http_get(relay_url, "/join", host="relay.example:8765")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "Install Helpline" in page
    assert "python3 -m pip install" in page
    assert "helpline join --relay ws://relay.example:8765 CODE" in page
    assert "helpline:" in page  # how a helpline: link is used
    assert "never asks for your session code" in page
    # Nothing on the page can read the address bar or send anything anywhere.
    assert "<script" not in page.lower()
    assert "<form" not in page.lower()
    assert "<input" not in page.lower()
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert headers["referrer-policy"] == "no-referrer"


async def test_join_page_shows_no_hostile_host_header(relay_url: str) -> None:
    _, _, body = await http_get(relay_url, "/join", host="<b>x</b>")
    page = body.decode()
    assert "<b>x</b>" not in page
    assert "ws://THIS-RELAY" in page


async def test_front_page_names_the_relay_and_links_the_join_page(relay_url: str) -> None:
    status, headers, body = await http_get(relay_url, "/", host="relay.example")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "<title>Helpline relay</title>" in page
    assert f"version {VERSION}" in page
    assert "ws://relay.example" in page
    assert '<a href="/join">' in page
    assert "<script" not in page.lower()


async def test_unknown_paths_are_404(relay_url: str) -> None:
    for path in ("/s/", "/s/bad%20room", "/s/a/b", "/favicon.ico", "/s/" + "a" * 33):
        assert (await http_get(relay_url, path))[0] == 404, path


async def test_websocket_upgrade_outside_rooms_is_404(relay_url: str) -> None:
    upgrade = (
        "GET {} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    for path in ("/healthz", "/s/no-dashes-allowed", "/x/room1"):
        status, _, _ = await http_exchange(relay_url, upgrade.format(path).encode())
        assert status == 404, path


async def test_other_methods_are_refused(relay_url: str) -> None:
    status, headers, _ = await http_get(relay_url, "/healthz", method="POST")
    assert status == 405
    assert headers["allow"] == "GET, HEAD"


async def test_join_page_links_to_helplines_window_with_the_relay_and_no_code(
    relay_url: str,
) -> None:
    _, _, body = await http_get(relay_url, "/join", host="relay.example:8765")
    page = body.decode()
    assert '<a href="helpline://relay.example:8765?tls=off">open Helpline</a>' in page
    assert "helpline install-desktop" in page


def proxied_get(path: str, proto: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: relay.example.org\r\n"
        f"X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: {proto}\r\n\r\n"
    ).encode()


async def test_behind_a_tls_proxy_the_join_page_gives_wss_and_tls_links(
    nursery: trio.Nursery,
) -> None:
    relay = await start_relay(nursery, trust_forwarded_for=True)
    _, _, body = await http_exchange(relay.url, proxied_get("/join", "https"))
    page = body.decode()
    assert "helpline join --relay wss://relay.example.org CODE" in page
    assert '<a href="helpline://relay.example.org">open Helpline</a>' in page
    assert "ws://" not in page
    assert "tls=off" not in page
    _, _, body = await http_exchange(relay.url, proxied_get("/", "https"))
    assert "<code>wss://relay.example.org</code>" in body.decode()
    _, _, body = await http_exchange(relay.url, proxied_get("/join", "http"))
    assert "helpline join --relay ws://relay.example.org CODE" in body.decode()


async def test_a_forwarded_proto_is_ignored_unless_the_proxy_is_trusted(
    nursery: trio.Nursery,
) -> None:
    relay = await start_relay(nursery, trust_forwarded_for=False)
    _, _, body = await http_exchange(relay.url, proxied_get("/join", "https"))
    assert "helpline join --relay ws://relay.example.org CODE" in body.decode()
