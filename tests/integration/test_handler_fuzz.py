"""The real handler of every provider, against the emulator, under random hostile requests
(odd shapes, hostile headers with lone surrogates, odd `Host` and `X-Forwarded-*`, JSON nested
past the parser's limit): never a 5xx, only documented statuses (a handshake's answer among
them), and nothing stored or published."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dev.local.emulator import LocalResources, MotoServer
from hookgate import providers
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import PipelineFactory, replay_records
from tests.unit.test_fuzz import events

#: Refusals, and 200 for the handshakes that anyone may ask (X's CRC, Dropbox's challenge,
#: Graph's validation token): answered, never published.
DOCUMENTED = {200, 400, 401, 405, 413}


def test_random_requests_get_no_5xx_and_nothing_is_published(
    make_pipeline: PipelineFactory,
    bus: Bus,
    aws: MotoServer,
    resources: LocalResources,
) -> None:
    handlers = {p: make_pipeline(p, HOOKGATE_MAX_BODY_BYTES="65536") for p in providers.NAMES}
    records_before = {p: replay_records(aws, resources, p) for p in handlers}
    statuses: set[int] = set()
    context = LambdaContext()

    @settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
    @given(events(), st.sampled_from(sorted(handlers)))
    def check(event: dict[str, Any], provider: str) -> None:
        response = handlers[provider](event, context)
        assert response["statusCode"] in DOCUMENTED, (provider, response)
        if providers.get(provider).empty_refusals:  # Xero: refusals have no body at all
            assert response["statusCode"] < 400 or response["body"] == ""
        else:
            assert "unauthorized" in response["body"] or response["statusCode"] != 401
        statuses.add(response["statusCode"])

    check()

    assert statuses >= {400, 401}  # the generator reached both the parser and the verifiers
    assert bus.seen(settle_s=0.5) == []
    assert {p: replay_records(aws, resources, p) for p in handlers} == records_before
