"""The real handler, against the emulator, under random hostile requests: never an unhandled
exception, never a 2xx, only documented statuses, and nothing stored or published."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dev.emulator import LocalResources, MotoServer
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import PipelineFactory, replay_records
from tests.unit.test_fuzz import events

DOCUMENTED_REFUSALS = {400, 401, 405, 413}


def test_random_requests_are_refused_with_documented_statuses(
    make_pipeline: PipelineFactory,
    bus: Bus,
    aws: MotoServer,
    resources: LocalResources,
) -> None:
    handlers = {p: make_pipeline(p, HOOKGATE_MAX_BODY_BYTES="1024") for p in ("stripe", "github")}
    records_before = {p: replay_records(aws, resources, p) for p in handlers}
    statuses: set[int] = set()
    context = LambdaContext()

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(events(), st.sampled_from(sorted(handlers)))
    def check(event: dict[str, Any], provider: str) -> None:
        response = handlers[provider](event, context)
        assert response["statusCode"] in DOCUMENTED_REFUSALS, response
        assert "unauthorized" in response["body"] or response["statusCode"] != 401
        statuses.add(response["statusCode"])

    check()

    assert statuses >= {400, 401}  # the generator reached both the parser and the verifiers
    assert bus.seen(settle_s=0.5) == []
    assert {p: replay_records(aws, resources, p) for p in handlers} == records_before
