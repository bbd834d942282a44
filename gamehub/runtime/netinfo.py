"""The laptop's address on the local network, for the join URL that phones open."""

from __future__ import annotations

import ipaddress
import socket

import psutil

# Interfaces of containers and VMs on this laptop: phones in the room cannot reach them.
_VIRTUAL_PREFIXES = ("docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "lo")


def lan_address() -> str:
    """The best IPv4 address for phones on the same network; 127.0.0.1 if there is none."""
    candidates = []
    for name, addresses in psutil.net_if_addrs().items():
        if name.startswith(_VIRTUAL_PREFIXES):
            continue
        for address in addresses:
            if address.family != socket.AF_INET:
                continue
            ip = ipaddress.ip_address(address.address)
            if ip.is_loopback or ip.is_link_local:
                continue
            candidates.append((0 if ip.is_private else 1, address.address))
    return min(candidates)[1] if candidates else "127.0.0.1"
