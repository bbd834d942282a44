"""The address a client is counted under, for the limits that count per address."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping


def client_address(environ: Mapping, trusted_proxies: int = 0) -> str:
    """The address to count a client under. Behind `trusted_proxies` proxies, the address the
    outermost trusted proxy saw (X-Forwarded-For from the right; a client can prepend lies but
    not append them). IPv6 counts per /64, the block one home or phone usually gets."""
    address = str(environ.get("REMOTE_ADDR") or "unknown")
    if trusted_proxies > 0:
        hops = [hop.strip() for hop in str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
        if len(hops) >= trusted_proxies:
            address = hops[-trusted_proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
