"""The two web pages the relay serves: ``/`` (what this is) and ``/join`` (how to join).

Neither page runs a script, and neither asks for or receives a session
code: the secret half of a code must never reach a page an untrusted relay
writes (a script could read it from the address bar). A customer joins with
the Helpline program; the page only explains how to install it and run it.
The relay's address shown on the page comes from the request's ``Host``
header, escaped, so a person can copy a command that reaches this relay.
"""

from __future__ import annotations

import html
import re

from relay._version import VERSION

__all__ = ["PAGE_HEADERS", "index_page", "join_page"]

#: No script, no frames, no outside resources; inline style only, which cannot run code.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:42em;margin:3em auto;padding:0 1em;"
    "line-height:1.5}code,pre{background:#eee;border-radius:4px}pre{padding:1em;"
    "white-space:pre-wrap;word-break:break-all}"
)
# A host name or address with an optional port: anything else is not shown.
_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?$")


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n{body}</body>\n</html>\n"
    ).encode()


def _relay_url(host: str | None, secure: bool) -> str:
    if host is None or not _HOST.match(host):
        return "ws://THIS-RELAY"
    return f"{'wss' if secure else 'ws'}://{html.escape(host)}"


def _window_link(host: str | None, secure: bool) -> str:
    """A ``helpline:`` link to this relay without a code: it opens Helpline's window."""
    if host is None or not _HOST.match(host):
        return ""
    link = f"helpline://{html.escape(host)}" + ("" if secure else "?tls=off")
    return (
        "<p>Or join in a window: once <code>helpline install-desktop</code> has registered "
        f'Helpline for these links, <a href="{link}">open Helpline</a> and type the code '
        "there (or run <code>helpline join --gui</code>).</p>\n"
    )


def index_page(host: str | None, *, secure: bool = False) -> bytes:
    relay = _relay_url(host, secure)
    return _page(
        "Helpline relay",
        f"<p>This is a Helpline relay (version {VERSION}) at <code>{relay}</code>. "
        "It passes end-to-end encrypted traffic between a support representative and "
        "the person they help; it cannot read that traffic.</p>\n"
        '<p>Were you asked to join a support session? See <a href="/join">how to join</a>.</p>\n'
        '<p>For operators: <a href="/healthz">/healthz</a> and '
        '<a href="/metrics">/metrics</a>.</p>\n',
    )


def join_page(host: str | None, *, secure: bool = False) -> bytes:
    relay = _relay_url(host, secure)
    return _page(
        "Join a Helpline support session",
        "<p>Helpline lets a support representative help you with your computer while "
        "you watch. Everything between you and them is encrypted; this relay only "
        "passes it along.</p>\n"
        "<h2>1. Install Helpline</h2>\n"
        "<p>Helpline is a program you run on your own computer. It needs Python 3.11 or "
        "newer. Your support representative will tell you where to get it; in the folder "
        "you downloaded, open a terminal and run:</p>\n"
        "<pre>python3 -m pip install .</pre>\n"
        "<h2>2. Join</h2>\n"
        "<p>Your representative reads you a session code over the phone. Run:</p>\n"
        f"<pre>helpline join --relay {relay} CODE</pre>\n"
        "<p>with the code in place of <code>CODE</code>. If the representative sent you "
        "a link that starts with <code>helpline:</code>, put the link in place of "
        "<code>CODE</code> (in quotes) instead.</p>\n"
        "<p>A <code>helpline:</code> link opens Helpline directly only once Helpline is "
        "registered on your computer as the program for such links; until then, "
        "copy the link and use the command above.</p>\n"
        f"{_window_link(host, secure)}"
        "<h2>Keep your code to yourself</h2>\n"
        "<p>This page never asks for your session code, and no web page should. Type it "
        "only into Helpline, and only when the representative you called gives it to "
        "you.</p>\n",
    )
