"""Which proxies' forwarded headers are believed (``forwarded_allow_ips``).

The client address decides the failed-authentication limit and goes in the
access audit, so only a proxy we run may tell us what it is: anyone else's
``X-Forwarded-For`` is ignored.
"""

import ipaddress


def check_forwarded_allow_ips(value: str | None) -> str | None:
    """Each comma-separated entry must be an IP address, a network (CIDR) or
    ``*``; a host name would never match (uvicorn compares addresses)."""
    if value is None or not value.strip():
        return None
    entries = [e.strip() for e in value.split(",") if e.strip()]
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(
                f"{entry!r} is not an IP address or network (CIDR); name the proxy by address"
            ) from None
    return ",".join(entries)
