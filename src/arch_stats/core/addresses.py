"""Client addresses as limits count them (an IPv4 address, or an IPv6 /64)."""

from __future__ import annotations

import ipaddress


def client_address(host: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if host is None:
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def address_key(host: str | None) -> str:
    """What limits count per address: an IPv4 address, or the /64 of an IPv6 one (a single
    client usually holds a whole /64, and could otherwise change address at every try)."""
    address = client_address(host)
    if address is None:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)
