"""The source ranges providers publish: `make ip-ranges` reads them anew, `make lint` warns
when the copy hookgate ships is old.

Each provider definition names its list (`Deployment.sender_ranges`: a URL and a JMESPath query
into it). A list that cannot be read keeps its last copy, and says so: without a network the
file is left as it is. The functions read the file from the layer, so a refreshed list reaches
them with the next deploy.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from typing import Any

import jmespath  # type: ignore[import-untyped]

from hookgate import providers
from hookgate.providers.base import SenderRanges
from hookgate.sources import PUBLISHED_RANGES

#: Providers change their ranges rarely but without notice: older than this is worth a refresh.
STALE_AFTER_DAYS = 90


def publishing() -> dict[str, SenderRanges]:
    """Every provider that publishes its ranges, and where."""
    found = {}
    for name in providers.NAMES:
        ranges = providers.get(name).deployment.sender_ranges
        if ranges is not None:
            found[name] = ranges
    return found


def parse(document: bytes, query: str | None) -> list[str]:
    """The ranges in a published document, as normalized CIDRs, sorted.

    Raises:
        ValueError: the document holds no ranges, or something that is not one.
    """
    if query is None:
        items: Any = [line.strip() for line in document.decode().splitlines()]
        items = [item for item in items if item and not item.startswith("#")]
    else:
        items = jmespath.search(query, json.loads(document))
    if not isinstance(items, list) or not items:
        raise ValueError("no ranges found")
    networks = {ipaddress.ip_network(str(item).strip(), strict=False) for item in items}
    return [str(n) for n in sorted(networks, key=lambda n: (n.version, n))]


def _fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "hookgate ip-ranges"})
    with urllib.request.urlopen(request, timeout=20) as response:
        body: bytes = response.read()
        return body


def refresh(today: date | None = None) -> int:
    """Read every published list; 1 when any could not be read (its old copy is kept)."""
    today = today or datetime.now(tz=UTC).date()
    current = load()
    failed = []
    for name, where in publishing().items():
        try:
            ranges = parse(_fetch(where.url), where.query)
        except (OSError, urllib.error.URLError, ValueError) as error:
            failed.append(name)
            print(
                f"{name}: kept the copy of {current.get(name, {}).get('retrieved', 'never')}"
                f" ({type(error).__name__} reading {where.url})"
            )
            continue
        current[name] = {
            "source": where.url,
            "docs": where.docs,
            "retrieved": today.isoformat(),
            "ranges": ranges,
        }
        print(f"{name}: {len(ranges)} ranges")
    save(current)
    return 1 if failed else 0


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PUBLISHED_RANGES.read_text(encoding="utf-8"))
    return dict(data["providers"])


def save(entries: dict[str, Any]) -> None:
    document = {
        "about": "Source ranges webhook providers publish, read by `make ip-ranges` from each "
        "`source`; `retrieved` is when. Used only where <Provider>SourceIps is `published`.",
        "providers": dict(sorted(entries.items())),
    }
    PUBLISHED_RANGES.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def stale(today: date | None = None) -> list[str]:
    """A line for every provider whose shipped list is missing or old."""
    today = today or datetime.now(tz=UTC).date()
    entries = load()
    found = []
    for name in publishing():
        entry = entries.get(name)
        if entry is None:
            found.append(f"{name}: no list shipped")
            continue
        age = (today - date.fromisoformat(entry["retrieved"])).days
        if age > STALE_AFTER_DAYS:
            found.append(f"{name}: list read {entry['retrieved']}, {age} days ago")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dev.ipranges", description=__doc__)
    parser.add_argument(
        "--check-age", action="store_true", help="only warn about old lists (always exits 0)"
    )
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="judge age as on this day"
    )
    arguments = parser.parse_args(argv)
    if arguments.check_age:
        for line in stale(arguments.today):
            print(
                f"warning: source ranges out of date, run `make ip-ranges`: {line}", file=sys.stderr
            )
        return 0
    return refresh()


if __name__ == "__main__":
    raise SystemExit(main())
