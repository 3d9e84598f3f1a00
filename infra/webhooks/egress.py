"""Where a signed alert may go: public addresses only, unless a subscription allows private.

Alerts carry case data and are signed; a webhook URL that reaches a private,
loopback, link-local or cloud-metadata address would let a misconfiguration (or
a DNS answer changed after start-up) carry them into the network Safeguard runs
in. The same rule is applied to the URL's host at config load and to every
address the host resolves to at send time (``infra.webhooks.pinned``).
"""

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
"""AWS/GCP/Azure/Oracle, AWS ECS task metadata, Alibaba, AWS over IPv6."""
METADATA_NAMES = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_KINDS: tuple[tuple[str, str], ...] = (
    ("is_unspecified", "unspecified"),
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_multicast", "multicast"),
    ("is_reserved", "reserved"),
    ("is_private", "private"),
)


def address_refusal(address: IPAddress) -> str | None:
    """Why alerts may not go to ``address`` (``"private"``, ``"cloud metadata"``...),
    or None for a public address. IPv4-mapped IPv6 is judged as the IPv4 inside."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "shared (carrier-grade NAT)"
    for attribute, kind in _KINDS:
        if getattr(address, attribute):
            return kind
    return None if address.is_global else "not public"


def host_refusal(host: str) -> str | None:
    """The config-time check of a URL's host: a literal address by its class,
    a loopback or metadata name by its name; other names wait for send time."""
    name = host.lower().rstrip(".")
    if name in METADATA_NAMES:
        return "a cloud metadata name"
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None
    return address_refusal(address)
