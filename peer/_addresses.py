"""The addresses at which other machines can reach a relay this machine runs.

A relay listening on ``0.0.0.0`` (or ``::``) listens everywhere, but
``0.0.0.0`` is no address anyone can connect to: the rep must be shown the
machine's own outward addresses, all of them when it has several (office
network, VPN, Wi-Fi), so it can give out the one the customer can reach.
"""

from __future__ import annotations

import ipaddress
import socket

import psutil

__all__ = ["LOOPBACK_HOSTS", "WILDCARD_HOSTS", "outward_addresses", "relay_urls"]

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def outward_addresses(*, ipv6: bool = False) -> list[str]:
    """This machine's addresses on interfaces that are up, loopback and link-local left out."""
    up = {name for name, stats in psutil.net_if_stats().items() if stats.isup}
    families = {socket.AF_INET} | ({socket.AF_INET6} if ipv6 else set())
    found: list[str] = []
    for name, addresses in psutil.net_if_addrs().items():
        if name not in up:
            continue
        for entry in addresses:
            if entry.family not in families:
                continue
            ip = ipaddress.ip_address(entry.address.split("%")[0])
            if ip.is_loopback or ip.is_link_local or ip.is_unspecified:
                continue
            if str(ip) not in found:
                found.append(str(ip))
    return found


def relay_urls(listen: str, port: int) -> list[str]:
    """The ``ws://`` addresses to give others for a relay listening on *listen*:*port*."""
    if listen in WILDCARD_HOSTS:
        hosts = outward_addresses(ipv6=listen == "::") or ["127.0.0.1"]
    else:
        hosts = [listen]
    return [f"ws://[{h}]:{port}" if ":" in h else f"ws://{h}:{port}" for h in hosts]
