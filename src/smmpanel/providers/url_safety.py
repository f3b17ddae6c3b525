"""SSRF guard for provider API URLs.

Staff type provider URLs, and the panel POSTs its provider key to them from inside the
hosting network, so a careless or hostile URL could reach loopback services, the private
network or a cloud metadata endpoint. ``check_provider_url`` accepts only https URLs whose
host resolves exclusively to public addresses and returns the addresses it checked, so
the caller connects to exactly those (no second DNS lookup an attacker could answer
differently). ``allow_private`` lets the built-in simulator be reached over plain http
on loopback and private addresses, but never opens cloud metadata, link-local,
multicast or unspecified addresses, metadata host names or odd IPv4 spellings: an owner
editing such a provider's URL must not be able to send its key to a metadata service.

URLs are parsed with ``httpx.URL``, the same parser the client sends with, so the host we
check is the host we connect to.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000

# Reachable over an ordinary route yet serving instance credentials; named so the error
# says what the address is. Link-local and ULA ones are refused anyway; Azure's
# 168.63.129.16 is otherwise a "public" address.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
LOCAL_NAMES = ("localhost", "metadata.google.internal")
# Refused even with ``allow_private``: loopback is the simulator's home, these never are.
METADATA_NAMES = ("metadata.google.internal",)

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOSTNAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
# WHATWG URL parsers and inet_aton() read a host whose last label is numeric as an IPv4
# number ("2130706433", "0x7f.1", "017700000001", "127.1"); only plain dotted-quad is
# accepted, so every spelling of 127.0.0.1 meets the same check.
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"{_OCTET}(\.{_OCTET}){{3}}")

Resolver = Callable[..., list]


class UnsafeProviderUrl(ValueError):
    """The provider URL is malformed or points somewhere the panel must not connect to."""


class ProviderHostUnresolvable(UnsafeProviderUrl):
    """The host name did not resolve; unlike other refusals this may be temporary."""


@dataclass(frozen=True)
class CheckedUrl:
    """A provider URL that passed the checks, with the addresses it may be reached at.

    ``host`` is the ASCII (IDNA) host name for the Host header and TLS SNI; ``addresses``
    is empty only from ``check_url_shape`` for a name that was not resolved.
    """

    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


def check_url_shape(url: str, *, allow_private: bool = False) -> CheckedUrl:
    """Check everything that can be checked without DNS: scheme, credentials, host form.

    An IP literal host is checked here too (and becomes the only address); a name
    gets ``addresses=()``. Raises ``UnsafeProviderUrl``.
    """
    if not isinstance(url, str) or not url.strip():
        raise UnsafeProviderUrl("provider URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeProviderUrl(f"provider URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url.strip())
    except Exception as exc:  # httpx raises InvalidURL, but also TypeError/ValueError
        raise UnsafeProviderUrl(f"provider URL is not a valid URL: {exc}") from None
    allowed = ("http", "https") if allow_private else ("https",)
    if parsed.scheme not in allowed:
        raise UnsafeProviderUrl(
            "provider URL must start with https:// "
            "(plain http is allowed only for a private/simulator provider)"
        )
    if parsed.userinfo:
        raise UnsafeProviderUrl("provider URL must not contain a user name or password")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise UnsafeProviderUrl("provider URL has no host")
    port = parsed.port if parsed.port is not None else (443 if parsed.scheme == "https" else 80)
    if not 1 <= port <= 65535:
        raise UnsafeProviderUrl(f"provider URL port {port} is out of range")
    clean = str(parsed.copy_with(fragment=None))

    literal = _ip_literal(host)
    if literal is not None:
        _refuse_if_forbidden(host, literal, literal=True, allow_private=allow_private)
        return CheckedUrl(clean, host, port, (str(literal),))
    bare = host.rstrip(".")
    if any(bare == name or bare.endswith("." + name) for name in _local_names(allow_private)):
        raise UnsafeProviderUrl(f"provider host {host!r} is a local name")
    return CheckedUrl(clean, host, port, ())


def check_provider_url(
    url: str, *, allow_private: bool = False, resolve: Resolver = socket.getaddrinfo
) -> CheckedUrl:
    """Check a provider URL and resolve its host; refuse any non-public address.

    Every resolved address must be public (one bad answer among good ones is refused:
    that is how DNS rebinding looks). With ``allow_private`` loopback and private
    addresses pass, metadata, link-local and the like still do not (``forbidden_reason``).
    Raises ``UnsafeProviderUrl`` (``ProviderHostUnresolvable`` when DNS fails).
    """
    checked = check_url_shape(url, allow_private=allow_private)
    if checked.addresses:
        return checked
    addresses = _resolve(checked.host, checked.port, resolve)
    for address in addresses:
        _refuse_if_forbidden(checked.host, address, literal=False, allow_private=allow_private)
    return CheckedUrl(checked.url, checked.host, checked.port, tuple(map(str, addresses)))


def forbidden_reason(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why the panel must not connect to ``address``, or None for a public address.

    With ``allow_private`` only what no provider may ever be (metadata, link-local,
    unspecified, multicast) is a reason; loopback and private addresses pass.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = forbidden_reason(embedded, allow_private=allow_private)
            if inner is not None:
                return f"{inner} (embedded in IPv6 as {embedded})"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    always = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
    )
    for hit, reason in always:
        if hit:
            return reason
    if allow_private:
        return None
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.version == 4 and address in _CGNAT, "a carrier-grade NAT address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # These IPv6 forms are translated to IPv4 somewhere on the path, so their IPv4
    # part decides where the packet really goes.
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _local_names(allow_private: bool) -> tuple[str, ...]:
    return METADATA_NAMES if allow_private else LOCAL_NAMES


def _ip_literal(host: str) -> IPAddress | None:
    if ":" in host:  # httpx only lets an IPv6 literal (in brackets) carry a colon here
        if "%" in host:
            raise UnsafeProviderUrl("provider URL must not use an IPv6 zone identifier")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise UnsafeProviderUrl(f"provider host {host!r} is not a valid address") from None
    if not _HOSTNAME.fullmatch(host):
        raise UnsafeProviderUrl(f"provider host {host!r} is not a valid host name")
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL.fullmatch(last):
        return None
    if _DOTTED_QUAD.fullmatch(host):
        return ipaddress.IPv4Address(host)
    # Refused with allow_private too: 0x7f000001 or 0xa9fea9fe must meet the same check
    # as their dotted form, and the resolver would read them without it.
    raise UnsafeProviderUrl(
        f"provider host {host!r} is an unusual IPv4 spelling (decimal, octal, hex or "
        "shortened); write the address as four decimal numbers, e.g. 203.0.113.7"
    )


def _resolve(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except Exception as exc:  # gaierror, UnicodeError, or whatever an injected resolver does
        raise ProviderHostUnresolvable(f"provider host {host!r} does not resolve: {exc}") from None
    addresses: list[IPAddress] = []
    for info in infos or ():
        try:
            raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 scope id
            address = ipaddress.ip_address(raw)
        except (IndexError, TypeError, ValueError):
            raise UnsafeProviderUrl(
                f"provider host {host!r} resolved to something that is not an address"
            ) from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ProviderHostUnresolvable(f"provider host {host!r} resolved to no address")
    return addresses


def _refuse_if_forbidden(
    host: str, address: IPAddress, *, literal: bool, allow_private: bool = False
) -> None:
    reason = forbidden_reason(address, allow_private=allow_private)
    if reason is not None:
        where = f"{host!r}" if literal else f"{host!r} resolves to {address}, which"
        raise UnsafeProviderUrl(f"provider host {where} is {reason}; refused")
