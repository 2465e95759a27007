"""Source-address allow-lists: a request from elsewhere is refused before anything is read.

Defence in depth, never instead of the signature: a listed range is shared by everyone on the
provider's platform (and a provider's ranges change), so an allowed address proves nothing and
a delivery from one is verified like any other. The address checked is the one AWS saw
(`Request.source_ip`), never a header a client chose.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from hookgate.errors import ConfigurationError

__all__ = [
    "ANY_SOURCE",
    "PUBLISHED",
    "PUBLISHED_RANGES",
    "SourceAllowList",
    "allow_list",
    "published",
]

#: The ranges providers publish, with where and when each list was read (`make ip-ranges`).
PUBLISHED_RANGES = Path(__file__).with_name("sender_ranges.json")
#: `HOOKGATE_ALLOWED_SOURCES` values: no restriction, or the provider's published ranges;
#: anything else is a comma-separated list of CIDRs.
ANY_SOURCE = "any"
PUBLISHED = "published"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class SourceAllowList:
    """The networks a provider's requests may come from."""

    networks: tuple[Network, ...]

    def allows(self, address: str | None) -> bool:
        """Whether `address` is in a listed network (an unknown or malformed one is not)."""
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack endpoint may show an IPv4 client this way
        return any(ip in network for network in self.networks)


def published(provider: str) -> tuple[str, ...]:
    """The ranges `provider` publishes, as shipped in `PUBLISHED_RANGES`.

    Raises:
        ConfigurationError: hookgate ships no list for `provider`.
    """
    data = json.loads(PUBLISHED_RANGES.read_text(encoding="utf-8"))
    entry = data.get("providers", {}).get(provider)
    if not entry or not entry.get("ranges"):
        raise ConfigurationError(f"no published source ranges for {provider}")
    return tuple(entry["ranges"])


def allow_list(setting: str | None, provider: str) -> SourceAllowList | None:
    """The allow-list a `HOOKGATE_ALLOWED_SOURCES` value names; None allows every source.

    Raises:
        ConfigurationError: a listed range is not a CIDR or address, or `published` is asked
            of a provider that publishes none.
    """
    value = (setting or "").strip()
    if value in ("", ANY_SOURCE):
        return None
    ranges = published(provider) if value == PUBLISHED else value.split(",")
    try:
        networks = tuple(ipaddress.ip_network(item.strip(), strict=False) for item in ranges)
    except ValueError:
        raise ConfigurationError("HOOKGATE_ALLOWED_SOURCES: a range is not a CIDR") from None
    return SourceAllowList(networks)
