"""Who a request comes from: the one answer every per-client limit uses.

    clients = Clients(behind_proxy=behind_proxy_setting())   # on by default on a Hugging Face Space
    clients.address(request)     # "203.0.113.7", or "2001:db8:1:2::/64" for an IPv6 client

A session hash is chosen by the client (any string in the request), so a limit keyed by it
alone is one that a client resets at will. The network address is not chosen, within limits:
  - Directly on the internet (or on loopback) it is the socket's peer address.
  - Behind a reverse proxy (Hugging Face Spaces) every peer is the proxy; the visitor's address
    is the last one the proxy appended to X-Forwarded-For. Entries before it are whatever the
    client sent, so only the last PROXY_HOPS are believed, and only when the app is told it runs
    behind a proxy: elsewhere the header is the client's own words and is ignored.
  - An IPv6 client usually holds a whole /64, so it counts as one client per /64.
Works with a gr.Request (queued events) and with the raw Starlette request a server function
gets: both have `.client` and `.headers`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

BEHIND_PROXY = "DIGIT_BEHIND_PROXY"  # "1" / "0"; unset: on when SPACE_ID is set (a Space)
PROXY_HOPS = "DIGIT_PROXY_HOPS"  # proxies in front of the app that append to X-Forwarded-For
UNKNOWN = "unknown"  # no address at all (a test client): all such requests are one client


def behind_proxy_setting(env: Mapping[str, str] = os.environ) -> bool:
    """DIGIT_BEHIND_PROXY when set, else whether this runs on a Hugging Face Space (SPACE_ID)."""
    value = env.get(BEHIND_PROXY, "").strip().lower()
    if value:
        return value in ("1", "true", "yes", "on")
    return bool(env.get("SPACE_ID"))


class Clients:
    """Says which client a request is from, the same way for every limit."""

    def __init__(self, behind_proxy: bool = False, hops: int = 1) -> None:
        self.behind_proxy = behind_proxy
        self.hops = max(1, hops)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Clients:
        return cls(behind_proxy_setting(env), int(env.get(PROXY_HOPS) or 1))

    def address(self, request: object) -> str:
        """The client's address as a key for limits (never raises)."""
        peer = getattr(getattr(request, "client", None), "host", None)
        if self.behind_proxy:
            forwarded = _forwarded(getattr(request, "headers", None))
            if forwarded:
                # the proxy appends the address it saw; anything further left the client wrote
                peer = forwarded[-min(self.hops, len(forwarded))]
        return _group(peer) if isinstance(peer, str) and peer else UNKNOWN


def _forwarded(headers: object) -> list[str]:
    """The X-Forwarded-For entries, in order, from every such header line."""
    if headers is None:
        return []
    if hasattr(headers, "getlist"):
        lines = headers.getlist("x-forwarded-for")
    else:
        line = headers.get("x-forwarded-for") if isinstance(headers, Mapping) else None
        lines = [line] if isinstance(line, str) else []
    return [part.strip() for line in lines for part in line.split(",") if part.strip()]


def _group(address: str) -> str:
    """An IPv4 address as it is, an IPv6 one as its /64; anything unparsable as given (bounded)."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is 203.0.113.7
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
