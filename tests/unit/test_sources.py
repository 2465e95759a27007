"""Source-address allow-lists, the ranges hookgate ships, and how `make ip-ranges` reads them."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from datetime import date

import pytest

from dev import ipranges
from dev.template import ROOT
from hookgate import providers
from hookgate.errors import ConfigurationError
from hookgate.request import Request, caller_of
from hookgate.sources import PUBLISHED_RANGES, allow_list
from tests.support import shapes


@pytest.mark.parametrize("setting", [None, "", "any", " any "])
def test_no_setting_or_any_allows_every_source(setting: str | None) -> None:
    assert allow_list(setting, "stripe") is None


def test_cidrs_allow_their_addresses_only_in_both_families() -> None:
    listed = allow_list("198.51.100.0/24, 2001:db8::/32,192.0.2.7", "generic")

    assert listed is not None
    for inside in ("198.51.100.1", "198.51.100.255", "2001:db8::1", "192.0.2.7"):
        assert listed.allows(inside), inside
    for outside in ("198.51.101.1", "2001:db9::1", "192.0.2.8", "", None, "not-an-ip", "::"):
        assert not listed.allows(outside), outside
    # a dual-stack front door may show an IPv4 client as an IPv4-mapped IPv6 address
    assert listed.allows("::ffff:198.51.100.9")


@pytest.mark.parametrize("setting", ["10.0.0.0/33", "example.com", "10.0.0.1,", "published"])
def test_a_setting_that_names_no_ranges_fails_the_cold_start(setting: str) -> None:
    # generic publishes no ranges, so `published` names none for it
    with pytest.raises(ConfigurationError):
        allow_list(setting, "generic")


def test_published_means_the_shipped_ranges_of_that_provider() -> None:
    listed = allow_list("published", "github")

    assert listed is not None
    assert listed.allows("192.30.252.1")  # GitHub's documented hook range 192.30.252.0/22
    assert not allow_list("published", "stripe").allows("192.30.252.1")  # type: ignore[union-attr]


def test_every_provider_that_publishes_ranges_ships_them_with_source_and_date() -> None:
    shipped = json.loads(PUBLISHED_RANGES.read_text())["providers"]
    publishing = ipranges.publishing()

    assert set(shipped) == set(publishing) >= {"github", "stripe"}
    for name, where in publishing.items():
        entry = shipped[name]
        assert entry["source"] == where.url
        assert where.url.startswith("https://")
        assert where.docs.startswith("https://")
        assert date.fromisoformat(entry["retrieved"]) <= date.today()
        networks = [ipaddress.ip_network(r) for r in entry["ranges"]]
        assert [str(n) for n in networks] == entry["ranges"]  # normalized CIDRs
        assert all(n.is_global for n in networks), name


def test_the_layer_build_ships_the_ranges_with_the_package() -> None:
    # The wheel (and so the layer) holds every file of the package directory.
    assert PUBLISHED_RANGES.parent == ROOT / "layers/hookgate/src/hookgate"
    assert "sender_ranges.json" not in (ROOT / ".gitignore").read_text()


def test_parse_reads_a_key_of_a_json_document_and_normalizes_addresses() -> None:
    meta = {"web": ["1.1.1.0/24"], "hooks": ["192.30.252.0/22", "2606:50c0::/32"]}
    stripe = {"WEBHOOKS": ["54.187.216.72", "3.18.12.63"]}

    assert ipranges.parse(json.dumps(meta).encode(), "hooks") == [
        "192.30.252.0/22",
        "2606:50c0::/32",
    ]
    assert ipranges.parse(json.dumps(stripe).encode(), "WEBHOOKS") == [
        "3.18.12.63/32",
        "54.187.216.72/32",
    ]
    regions = {"us": ["44.228.126.217"], "eu": ["52.215.16.239", "2a05:d028:17:8000::/56"]}
    assert len(ipranges.parse(json.dumps(regions).encode(), "*[]")) == 3
    assert ipranges.parse(b"# comment\n3.18.12.63\n\n13.235.14.237\n", None) == [
        "3.18.12.63/32",
        "13.235.14.237/32",
    ]


@pytest.mark.parametrize(
    ("document", "query"),
    [(b'{"hooks": []}', "hooks"), (b'{"other": ["1.2.3.4"]}', "hooks"), (b"<html>", None)],
)
def test_parse_refuses_a_document_without_ranges(document: bytes, query: str | None) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (the refresh keeps the old copy on any)
        ipranges.parse(document, query)


def test_an_old_list_is_a_lint_warning_not_a_failure() -> None:
    oldest = min(
        date.fromisoformat(e["retrieved"])
        for e in json.loads(PUBLISHED_RANGES.read_text())["providers"].values()
    )
    late = date.fromordinal(oldest.toordinal() + ipranges.STALE_AFTER_DAYS + 1)

    checked = subprocess.run(
        [sys.executable, "-m", "dev.ipranges", "--check-age", "--today", late.isoformat()],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    fresh = subprocess.run(
        [sys.executable, "-m", "dev.ipranges", "--check-age", "--today", oldest.isoformat()],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert checked.returncode == 0
    assert "warning: source ranges out of date" in checked.stderr
    assert (fresh.returncode, fresh.stderr) == (0, "")
    assert "ipranges --check-age" in (ROOT / "Makefile").read_text()


def test_alb_source_ip_is_the_entry_the_load_balancer_appended() -> None:
    event = shapes.alb(headers=[("X-Forwarded-For", "192.0.2.1, 198.51.100.2")], body=b"")

    assert Request.from_event(event).source_ip == "198.51.100.2"
    assert caller_of(event) == ("198.51.100.2", "/webhooks/x")


@pytest.mark.parametrize("shape", ["rest_v1", "http_v2", "function_url"])
def test_source_ip_ignores_forwarded_for_on_api_gateway_and_function_urls(shape: str) -> None:
    event = shapes.ALL_SHAPES[shape](headers=[("X-Forwarded-For", "192.0.2.1")], body=b"")

    request = Request.from_event(event)

    assert request.source_ip == "192.0.2.10"  # the shapes' requestContext sourceIp
    assert caller_of(event)[0] == "192.0.2.10"


def test_caller_of_survives_events_it_cannot_read() -> None:
    assert caller_of({}) == (None, None)
    assert caller_of({"requestContext": "nonsense", "path": 7}) == (None, None)
    long = shapes.rest_v1(headers=[], body=b"", path="/webhooks/" + "a" * 1000 + "\ud800")
    assert len(caller_of(long)[1] or "") == 256


def test_publishing_providers_are_the_ones_whose_definitions_say_so() -> None:
    assert set(ipranges.publishing()) == {
        n for n in providers.NAMES if providers.get(n).deployment.sender_ranges is not None
    }
