"""SSRF guard: where a webhook may be sent, decided at send time from the resolved address.

The host is resolved once per attempt; the request then goes to the address that was checked
(http_attempt.py connects to it by IP, with the host name only in Host and SNI), so a DNS answer that
changes between the check and the connection (rebinding) cannot reach an internal address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")  # 2002:7f00:1:: carries 127.0.0.1


class AddressRefused(Exception):
    """The URL or the address it resolves to may not be called."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the checked IP the request is sent to


def url_problem(url: str, allow_private: bool) -> str | None:
    """What is wrong with a URL before any lookup, or None."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):  # CR LF would smuggle a header; a space, a NUL...
        return "the URL may not hold spaces or control characters"
    try:
        parts = urlsplit(url)
        httpx.URL(url)  # what the sender will build: a URL httpx refuses could never be called
        (parts.hostname or "").encode("idna")
    except (ValueError, UnicodeError, httpx.InvalidURL):
        return "the URL is not one that can be called (its host is not a valid name)"
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        return "the URL must use https"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username is not None or parts.password is not None:
        return "the URL may not carry credentials"
    try:
        _ = parts.port  # parsed on access
    except ValueError:
        return "the URL's port is not a number from 0 to 65535"
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None
    reason = refusal(literal)
    return None if allow_private or reason is None else f"the URL's address is {reason}"


def refusal(address: IpAddress) -> str | None:
    """Why an address is not a public one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return refusal(address.ipv4_mapped)
        if address in NAT64:
            return refusal(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None and address in SIX_TO_FOUR:
            return refusal(address.sixtofour)
    for label, matches in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                           ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                           ("CGNAT", isinstance(address, ipaddress.IPv4Address) and address in CGNAT),
                           ("private", address.is_private), ("reserved", address.is_reserved),
                           ("not global", not address.is_global)):
        if matches:
            return label
    return None


async def _addresses(host: str, port: int) -> list[IpAddress]:
    """What the host resolves to; an IP literal is itself (asyncio would still ask a thread)."""
    try:
        return [ipaddress.ip_address(host.split("%")[0])]
    except ValueError:
        pass
    try:
        answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise AddressRefused(f"{host} does not resolve: {error.strerror}") from None
    return [ipaddress.ip_address(str(sockaddr[0]).split("%")[0]) for *_, sockaddr in answers]


async def resolve_target(url: str, allow_private: bool) -> Target:
    """The address to send to: the first the host resolves to that passes the check."""
    problem = url_problem(url, allow_private)
    if problem:
        raise AddressRefused(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""  # url_problem refused a URL without one
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in await _addresses(host, port):
        reason = None if allow_private else refusal(address)
        if reason is None:
            return Target(parts.scheme, host, port, str(address))
    # which addresses, and why, stays out of the delivery's record: any write key reads it
    raise AddressRefused(f"{parts.hostname} resolves only to addresses that may not be called")
