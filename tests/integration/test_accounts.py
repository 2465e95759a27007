"""Several accounts per provider, through the real handler and the local AWS emulator: each
`/webhooks/<provider>/<account>` delivery is verified with that account's own secret
(`<stack>/<provider>/<account>`), attributed to it, and replay-guarded apart from the others.

Stripe deliveries are signed by Stripe's SDK; every other provider by hookgate's signers, which
`tests/unit/providers/` prove against each provider's SDK or published vector.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from dev.local.emulator import LocalResources, MotoServer
from dev.local.faults import Fault, FaultProxy
from hookgate import providers
from hookgate.devtools.simulate import make_delivery
from hookgate.material import SecretMaterial
from tests.conftest import LOGS, Bus, LambdaContext
from tests.integration.conftest import SERVICES, Clock, PipelineFactory, replay_records
from tests.integration.test_faults import lambda_clients
from tests.support import shapes
from tests.support.deliveries import stripe_event
from tests.support.leaks import remember_secret
from tests.support.providers import IN_PROCESS, delivery, event_of, other_signing_secret

BAD_SIGNATURE_BODY = '{"message":"unauthorized"}'


def new_account(
    aws: MotoServer, provider: str, *, stored: str | None = None, prefix: str = "acct"
) -> tuple[str, str]:
    """(name, signing secret) of a fresh account whose secret is in Secrets Manager."""
    account = f"{prefix}-{uuid.uuid4().hex[:10]}"
    signing = other_signing_secret(provider)
    value = providers.get(provider).local.stored_secret(signing) if stored is None else stored
    remember_secret(signing, value)
    aws.client("secretsmanager").create_secret(
        Name=f"hookgate/{provider}/{account}", SecretString=value
    )
    return account, signing


def counting(aws: MotoServer) -> tuple[dict[str, Any], Counter[str]]:
    """Clients for every service the function uses, and a count of the calls made on them."""
    calls: Counter[str] = Counter()
    clients = {service: aws.client(service) for service in SERVICES}
    for client in clients.values():
        client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    return clients, calls


def stripe_on(account: str | None, secret: str, **kwargs: Any) -> tuple[dict[str, Any], bytes, str]:
    return stripe_event(secret, path="/webhooks/stripe", account=account, **kwargs)


def status_of(response: dict[str, Any]) -> int:
    return int(response["statusCode"])


@pytest.mark.parametrize("provider", IN_PROCESS)
def test_each_account_is_verified_with_its_own_secret_and_attributed_to_it(
    provider: str,
    aws: MotoServer,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    first, first_secret = new_account(aws, provider)
    second, _ = new_account(aws, provider)
    handler = make_pipeline(provider).handle_lambda
    sent = delivery(provider, secret=first_secret, account=first)

    genuine = handler(event_of(sent, account=first), lambda_context)
    # What an attacker can build from a captured delivery: the same request on another
    # account's route, or on the bare route.
    on_other_account = handler(event_of(sent, account=second), lambda_context)
    on_bare_route = handler(event_of(sent), lambda_context)
    # And the bare route's genuine delivery, sent to an account's route.
    bare = delivery(provider, account=first)
    bare_on_account = handler(event_of(bare, account=first), lambda_context)

    assert 200 <= status_of(genuine) < 300, genuine
    assert [status_of(r) for r in (on_other_account, on_bare_route, bare_on_account)] == [401] * 3
    published = bus.seen()
    assert [e["detail"]["delivery_id"] for e in published] == [sent.delivery_id]
    assert published[0]["detail"]["account"] == first
    assert published[0]["source"] == f"hookgate.{provider}"


def test_bare_route_events_carry_no_account(
    resources: LocalResources, make_pipeline: PipelineFactory, bus: Bus, lambda_context: Any
) -> None:
    event, _, event_id = stripe_on(None, "whsec_hookgate_local_dev_secret_stripe")

    assert status_of(make_pipeline("stripe").handle_lambda(event, lambda_context)) == 200
    [published] = bus.events_for(event_id)
    assert "account" not in published["detail"]


def test_same_delivery_id_on_two_accounts_is_published_once_for_each(
    aws: MotoServer,
    resources: LocalResources,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    first, first_secret = new_account(aws, "stripe")
    second, second_secret = new_account(aws, "stripe")
    handler = make_pipeline("stripe").handle_lambda
    event_id = f"evt_{uuid.uuid4().hex[:24]}"

    def send(account: str | None, secret: str) -> dict[str, Any]:
        event, _, _ = stripe_on(account, secret, event_id=event_id)
        answer: dict[str, Any] = json.loads(handler(event, lambda_context)["body"])
        return answer

    answers = [
        send(first, first_secret),
        send(second, second_secret),
        send(None, "whsec_hookgate_local_dev_secret_stripe"),
        send(first, first_secret),
        send(second, second_secret),
    ]

    duplicates = [answer["duplicate"] for answer in answers]
    assert duplicates == [False, False, False, True, True]
    published = bus.events_for(event_id)
    assert sorted(e["detail"].get("account", "") for e in published) == sorted(["", first, second])
    assert len(replay_records(aws, resources, "stripe")) >= 3


def test_unknown_accounts_answer_as_a_bad_signature_and_a_flood_costs_one_lookup_per_period(
    aws: MotoServer, make_pipeline: PipelineFactory, clock: Clock, lambda_context: LambdaContext
) -> None:
    known, known_secret = new_account(aws, "stripe")
    clients, calls = counting(aws)
    handler = make_pipeline(
        "stripe",
        clients=clients,
        HOOKGATE_UNKNOWN_ACCOUNT_SECONDS="30",
        HOOKGATE_ACCOUNT_INDEX_SECONDS="120",
    ).handle_lambda
    assert status_of(handler(stripe_on(known, known_secret)[0], lambda_context)) == 200
    bad_signature = handler(stripe_on(known, "whsec_forged")[0], lambda_context)
    calls.clear()

    def flood(count: int) -> list[dict[str, Any]]:
        # Made-up names, each with a well-formed delivery signed with some secret.
        return [
            handler(stripe_on(f"made-up-{uuid.uuid4().hex[:8]}", known_secret)[0], lambda_context)
            for _ in range(count)
        ]

    answers = flood(40)
    during_flood = handler(stripe_on(known, known_secret)[0], lambda_context)
    first_period = Counter(calls)
    clock.offset_s += 31  # the next period: one more lookup, the listing is still fresh
    answers += flood(20)

    for answer in answers:
        assert (answer["statusCode"], answer["headers"], answer["body"]) == (
            bad_signature["statusCode"],
            bad_signature["headers"],
            bad_signature["body"],
        )
    assert bad_signature["body"] == BAD_SIGNATURE_BODY
    # A known account is served from its cached secret all along.
    assert status_of(during_flood) == 200
    assert (first_period["GetSecretValue"], first_period["ListSecrets"]) == (1, 1)
    assert (calls["GetSecretValue"], calls["ListSecrets"]) == (2, 1)


def test_a_trickle_of_made_up_names_does_not_keep_existing_accounts_out(
    aws: MotoServer, make_pipeline: PipelineFactory, clock: Clock, lambda_context: LambdaContext
) -> None:
    # An attacker sends one made-up name per period, each just before a genuine delivery for
    # an account this instance has not seen yet (a fresh instance has seen none).
    genuine = [new_account(aws, "stripe") for _ in range(4)]
    handler = make_pipeline("stripe", HOOKGATE_UNKNOWN_ACCOUNT_SECONDS="10").handle_lambda
    statuses = []
    for account, secret in genuine:
        handler(stripe_on(f"made-up-{uuid.uuid4().hex[:8]}", secret)[0], lambda_context)
        statuses.append(status_of(handler(stripe_on(account, secret)[0], lambda_context)))
        clock.offset_s += 10.5

    assert statuses == [200] * len(genuine)


def test_an_account_added_during_a_flood_is_served_once_the_listing_is_renewed(
    aws: MotoServer, make_pipeline: PipelineFactory, clock: Clock, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline(
        "stripe", HOOKGATE_UNKNOWN_ACCOUNT_SECONDS="300", HOOKGATE_ACCOUNT_INDEX_SECONDS="60"
    ).handle_lambda
    for _ in range(2):  # the first starts the pause, the second takes the listing
        handler(stripe_on(f"made-up-{uuid.uuid4().hex[:8]}", "whsec_x")[0], lambda_context)
    account, secret = new_account(aws, "stripe")

    before = handler(stripe_on(account, secret)[0], lambda_context)
    clock.offset_s += 61
    after = handler(stripe_on(account, secret, timestamp=int(clock()))[0], lambda_context)

    assert (status_of(before), status_of(after)) == (401, 200)


@pytest.mark.parametrize(
    "name",
    ["ACME", "a.b", "-acme", "a" * 64, "a/b", "..", "%2e%2e", "acme\n", "", "ac me", "é"],
)
@pytest.mark.parametrize("shape", [shapes.rest_v1, shapes.http_v2])
def test_a_segment_that_is_not_an_account_name_is_404_before_any_aws_call(
    name: str, shape: Any, aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: Any
) -> None:
    clients, calls = counting(aws)
    handler = make_pipeline("stripe", clients=clients).handle_lambda
    _, body, _ = stripe_on(None, "whsec_hookgate_local_dev_secret_stripe")
    event = shape(path="/webhooks/stripe", headers=[], body=body, account=name)

    response = handler(event, lambda_context)

    assert (response["statusCode"], response["body"]) == (404, '{"message":"not found"}')
    assert calls == Counter()


def test_first_delivery_of_an_account_adds_one_secret_read_and_warm_ones_none(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    account, secret = new_account(aws, "stripe")
    clients, calls = counting(aws)
    handler = make_pipeline("stripe", clients=clients).handle_lambda
    handler(stripe_on(None, "whsec_hookgate_local_dev_secret_stripe")[0], lambda_context)
    bare_calls = Counter(calls)
    calls.clear()

    handler(stripe_on(account, secret)[0], lambda_context)
    first = Counter(calls)
    calls.clear()
    for _ in range(5):
        handler(stripe_on(account, secret)[0], lambda_context)
    warm = Counter(calls)

    assert first == bare_calls  # the bare route's first delivery also reads its secret once
    assert first["GetSecretValue"] == 1
    assert warm["GetSecretValue"] == 0
    assert warm == Counter(
        {op: 5 * n for op, n in (bare_calls - Counter(["GetSecretValue"])).items()}
    )


def test_the_secret_cache_keeps_the_most_recently_used_accounts(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    accounts = [new_account(aws, "stripe") for _ in range(3)]
    clients, calls = counting(aws)
    handler = make_pipeline(
        "stripe", clients=clients, HOOKGATE_ACCOUNT_CACHE_SIZE="2"
    ).handle_lambda

    def reads_for(account: str, secret: str) -> int:
        before = calls["GetSecretValue"]
        assert status_of(handler(stripe_on(account, secret)[0], lambda_context)) == 200
        return calls["GetSecretValue"] - before

    first, second, third = accounts
    assert [reads_for(*first), reads_for(*second), reads_for(*third)] == [1, 1, 1]
    # The first was the least recently used: evicted, read again; the third is still kept.
    assert reads_for(*first) == 1
    assert reads_for(*third) == 0


def test_rotating_one_account_s_secret_leaves_the_others_alone(
    aws: MotoServer, make_pipeline: PipelineFactory, clock: Clock, lambda_context: LambdaContext
) -> None:
    rotated, old = new_account(aws, "stripe")
    other, other_secret = new_account(aws, "stripe")
    new = "whsec_rotated_" + uuid.uuid4().hex
    remember_secret(new)
    handler = make_pipeline("stripe").handle_lambda

    def status(account: str, secret: str) -> int:
        clock.offset_s += 10  # past the forced re-read cooldown, as real deliveries would be
        event = stripe_on(account, secret, timestamp=int(clock()))[0]
        return status_of(handler(event, lambda_context))

    assert status(rotated, old) == 200
    aws.client("secretsmanager").put_secret_value(
        SecretId=f"hookgate/stripe/{rotated}",
        SecretString=json.dumps({"signing_secrets": [new, old]}),
    )

    assert status(rotated, new) == 200  # a miss re-reads that account's secret
    assert status(rotated, old) == 200
    assert status(other, other_secret) == 200
    assert status(other, new) == 401


@pytest.mark.parametrize("force", [True, False], ids=["deleted", "scheduled-for-deletion"])
def test_a_removed_account_is_refused_once_its_cached_secret_expires(
    force: bool, aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    account, secret = new_account(aws, "stripe")
    handler = make_pipeline("stripe", HOOKGATE_SECRET_MAX_AGE_SECONDS="1").handle_lambda
    assert status_of(handler(stripe_on(account, secret)[0], lambda_context)) == 200

    options: dict[str, Any] = (
        {"ForceDeleteWithoutRecovery": True} if force else {"RecoveryWindowInDays": 7}
    )
    aws.client("secretsmanager").delete_secret(SecretId=f"hookgate/stripe/{account}", **options)
    time.sleep(1.3)
    refused = handler(stripe_on(account, secret)[0], lambda_context)

    assert (refused["statusCode"], refused["body"]) == (401, BAD_SIGNATURE_BODY)


def test_the_log_record_names_the_account_and_metrics_keep_their_dimensions(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    account, secret = new_account(aws, "stripe")
    handler = make_pipeline("stripe").handle_lambda
    logged_from = len(LOGS.getvalue())

    handler(stripe_on(account, secret)[0], lambda_context)
    handler(stripe_on(None, "whsec_hookgate_local_dev_secret_stripe")[0], lambda_context)

    records = [json.loads(line) for line in LOGS.getvalue()[logged_from:].splitlines()]
    responded = [r for r in records if r.get("message") == "responded"]
    assert [r.get("account") for r in responded] == [account, None]
    for record in responded:
        [directive] = record["_aws"]["CloudWatchMetrics"]
        assert directive["Dimensions"] == [["provider"]]


def test_an_account_s_large_body_is_claim_checked_under_its_own_folder(
    aws: MotoServer,
    resources: LocalResources,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    account, secret = new_account(aws, "stripe")
    event_id = f"evt_{uuid.uuid4().hex[:24]}"
    body = json.dumps({"id": event_id, "type": "big", "pad": "x" * 1_100_000}).encode()

    response = make_pipeline("stripe").handle_lambda(
        stripe_on(account, secret, body=body)[0], lambda_context
    )

    assert status_of(response) == 200
    [published] = bus.events_for(event_id)
    reference = published["detail"]["payload_ref"]
    assert reference["key"].startswith(f"stripe/{account}/")
    stored = aws.client("s3").get_object(Bucket=resources.bucket, Key=reference["key"])
    assert stored["Body"].read() == body


def test_http_api_events_name_the_account_too(
    aws: MotoServer, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    account, secret = new_account(aws, "github")
    sent = delivery("github", secret=secret)
    event = shapes.http_v2(
        path="/webhooks/github", headers=list(sent.headers.items()), body=sent.body, account=account
    )

    assert status_of(make_pipeline("github").handle_lambda(event, lambda_context)) == 200
    [published] = bus.events_for(sent.delivery_id)
    assert published["detail"]["account"] == account


# --- Handshakes per account ------------------------------------------------------------------


@pytest.fixture
def nothing_published(bus: Bus) -> Any:
    yield
    assert bus.seen(settle_s=0.3) == []


def test_asana_handshake_stores_the_secret_in_that_account_s_secret(
    aws: MotoServer, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    awaiting = providers.get("asana").deployment.initial_secret
    assert awaiting is not None
    account, _ = new_account(aws, "asana", stored=awaiting)
    secrets = aws.client("secretsmanager")
    bare_before = secrets.get_secret_value(SecretId="hookgate/asana")["SecretString"]
    handler = make_pipeline("asana").handle_lambda
    hook_secret = uuid.uuid4().hex + uuid.uuid4().hex
    remember_secret(hook_secret)

    def handshake(value: str, on: str | None) -> dict[str, Any]:
        event = shapes.rest_v1(
            path="/webhooks/asana", headers=[("X-Hook-Secret", value)], body=b"", account=on
        )
        return handler(event, lambda_context)

    first = handshake(hook_secret, account)
    again = handshake("attacker-chosen-secret", account)
    unknown = handshake(hook_secret, f"nobody-{uuid.uuid4().hex[:6]}")
    sent = delivery("asana", secret=hook_secret)
    on_account = handler(event_of(sent, account=account), lambda_context)
    on_bare = handler(event_of(sent), lambda_context)

    assert first["statusCode"] == 200
    stored = secrets.get_secret_value(SecretId=f"hookgate/asana/{account}")["SecretString"]
    assert SecretMaterial.parse(stored).signing_secrets == (hook_secret,)
    assert secrets.get_secret_value(SecretId="hookgate/asana")["SecretString"] == bare_before
    assert [again["statusCode"], unknown["statusCode"]] == [401, 401]
    assert status_of(on_account) == 200
    assert status_of(on_bare) == 401
    [published] = bus.events_for(sent.delivery_id)
    assert published["detail"]["account"] == account


@pytest.mark.usefixtures("nothing_published")
def test_meta_verify_token_is_the_account_s(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    account, signing = new_account(aws, "meta")
    token = SecretMaterial.parse(providers.get("meta").local.stored_secret(signing)).verify_token
    bare_token = "hookgate-local-dev-secret-meta-verify-token"
    assert token
    assert token != bare_token
    handler = make_pipeline("meta").handle_lambda

    def subscribe(verify_token: str, on: str | None) -> dict[str, Any]:
        query = [
            ("hub.mode", "subscribe"),
            ("hub.challenge", "1158201444"),
            ("hub.verify_token", verify_token),
        ]
        event = shapes.rest_v1(
            method="GET", path="/webhooks/meta", headers=[], body=b"", query=query, account=on
        )
        return handler(event, lambda_context)

    assert (subscribe(token, account)["statusCode"], subscribe(token, account)["body"]) == (
        200,
        "1158201444",
    )
    assert subscribe(bare_token, account)["statusCode"] == 401
    assert subscribe(token, None)["statusCode"] == 401


@pytest.mark.usefixtures("nothing_published")
def test_discord_ping_is_verified_with_the_account_s_public_key(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    account, private_key = new_account(aws, "discord")
    handler = make_pipeline("discord").handle_lambda
    body = b'{"application_id":"1","id":"2","type":1,"token":"t","version":1}'

    pong = handler(
        event_of(delivery("discord", body=body, secret=private_key), account=account),
        lambda_context,
    )
    bare_key_ping = handler(
        event_of(delivery("discord", body=body), account=account), lambda_context
    )

    assert (pong["statusCode"], pong["body"]) == (200, '{"type":1}')
    assert bare_key_ping["statusCode"] == 401


@pytest.mark.parametrize("provider", ["twilio", "square"])
def test_url_signing_providers_sign_the_account_s_url(
    provider: str,
    aws: MotoServer,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    account, secret = new_account(aws, provider)
    handler = make_pipeline(provider).handle_lambda
    for_bare_url = delivery(provider, secret=secret)
    for_account_url = delivery(provider, secret=secret, account=account)

    # Signed for the bare route's URL with the account's secret: the account's route refuses.
    assert status_of(handler(event_of(for_bare_url, account=account), lambda_context)) == 401
    assert status_of(handler(event_of(for_account_url, account=account), lambda_context)) == 200
    [published] = bus.seen()
    assert published["detail"]["account"] == account


def test_the_public_url_setting_gains_the_account_segment(
    aws: MotoServer, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    account, secret = new_account(aws, "twilio")
    public = "https://hooks.example.com/twilio"
    handler = make_pipeline("twilio", HOOKGATE_PUBLIC_URL=public).handle_lambda

    sent = make_delivery("twilio", secret, url=f"{public}/{account}")
    wrong = make_delivery("twilio", secret, url=public)

    assert status_of(handler(event_of(sent, account=account), lambda_context)) == 200
    assert status_of(handler(event_of(wrong, account=account), lambda_context)) == 401
    assert [e["detail"]["account"] for e in bus.seen()] == [account]


def test_slack_url_verification_is_answered_only_with_the_account_s_secret(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext, bus: Bus
) -> None:
    account, secret = new_account(aws, "slack")
    challenge = base64.b64encode(uuid.uuid4().bytes).decode()
    body = json.dumps({"token": "x", "challenge": challenge, "type": "url_verification"}).encode()
    handler = make_pipeline("slack").handle_lambda

    signed = delivery("slack", body=body, secret=secret)
    genuine = handler(event_of(signed, account=account), lambda_context)
    bare_secret = handler(event_of(delivery("slack", body=body), account=account), lambda_context)

    assert (genuine["statusCode"], json.loads(genuine["body"])) == (200, {"challenge": challenge})
    assert bare_secret["statusCode"] == 401
    assert bus.seen(settle_s=0.3) == []


@pytest.mark.parametrize(
    ("provider", "query"),
    [
        ("dropbox", [("challenge", "abc123")]),
        ("msgraph", [("validationToken", "abc123")]),
        ("meta", [("hub.mode", "subscribe"), ("hub.challenge", "1"), ("hub.verify_token", "t")]),
        ("twitter", [("crc_token", "abc123")]),
    ],
)
def test_unsigned_handshakes_do_not_tell_which_accounts_exist(
    provider: str,
    query: list[tuple[str, str]],
    aws: MotoServer,
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
) -> None:
    # An account whose secret is of the provider's kind but unknown to the caller, as an
    # attacker probing names would find it.
    existing, _ = new_account(aws, provider)
    handler = make_pipeline(provider).handle_lambda
    method = "POST" if provider == "msgraph" else "GET"

    def probe(account: str) -> tuple[int, str]:
        event = shapes.rest_v1(
            method=method, path=f"/webhooks/{provider}", headers=[], body=b"", query=query,
            account=account,
        )  # fmt: skip
        response = handler(event, lambda_context)
        return response["statusCode"], response["body"]

    known = probe(existing)
    unknown = probe(f"nobody-{uuid.uuid4().hex[:8]}")

    if provider == "twitter":
        # X's CRC answer is an HMAC with the account's secret; an unknown account's is one with
        # a key nobody knows, of the same form.
        assert (known[0], unknown[0]) == (200, 200)
        assert unknown[1] != known[1]
        assert len(json.loads(unknown[1])["response_token"]) == len(
            json.loads(known[1])["response_token"]
        )
    else:
        assert unknown == known


def test_a_failed_lookup_is_a_503_and_made_up_names_after_it_cost_no_call(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    existing, secret = new_account(aws, "stripe")
    proxy = FaultProxy(aws.endpoint).start()
    try:
        clients = lambda_clients(proxy.endpoint)
        calls: Counter[str] = Counter()
        clients["secretsmanager"].meta.events.register(
            "before-call", lambda model, **_: calls.update([model.name])
        )
        handler = make_pipeline("stripe", clients=clients).handle_lambda
        # Secrets Manager throttles the lookup (and botocore's one retry of it).
        proxy.inject(Fault("secretsmanager:GetSecretValue", "throttle", times=2))
        first = handler(stripe_on(f"made-up-{uuid.uuid4().hex[:8]}", secret)[0], lambda_context)
        proxy.clear()
        reads_after_first = calls["GetSecretValue"]
        flood = [
            handler(stripe_on(f"made-up-{uuid.uuid4().hex[:8]}", secret)[0], lambda_context)
            for _ in range(20)
        ]
        genuine = handler(stripe_on(existing, secret)[0], lambda_context)
    finally:
        proxy.stop()

    # It may have been a genuine account: the provider must retry.
    assert first["statusCode"] == 503
    assert {r["statusCode"] for r in flood} == {401}
    assert calls["GetSecretValue"] == reads_after_first + 1  # the existing account's read only
    assert status_of(genuine) == 200


def test_a_listing_cut_short_goes_on_from_where_it_stopped(
    aws: MotoServer, make_pipeline: PipelineFactory, clock: Clock, lambda_context: LambdaContext
) -> None:
    # More accounts than one page of the listing (100), as another provider's, so that no
    # other test's accounts are listed.
    secrets = aws.client("secretsmanager")
    prefix = f"hookgate/paging-{uuid.uuid4().hex[:6]}"
    names = [f"acct-{i:03d}" for i in range(150)]
    for name in names:
        secrets.create_secret(Name=f"{prefix}/{name}", SecretString="whsec_paging")
    remember_secret("whsec_paging")
    clients, calls = counting(aws)
    pages: list[int] = []

    def cut_second_page(model: Any, **_: Any) -> None:
        if model.name == "ListSecrets":
            pages.append(len(pages))
            if len(pages) == 2:  # as a request's deadline would
                raise EndpointConnectionError(endpoint_url=aws.endpoint)

    clients["secretsmanager"].meta.events.register("before-call", cut_second_page)
    handler = make_pipeline(
        "stripe", clients=clients, HOOKGATE_ACCOUNT_SECRETS=prefix
    ).handle_lambda
    handler(stripe_on(f"made-up-{uuid.uuid4().hex[:8]}", "whsec_paging")[0], lambda_context)
    last = sorted(names)[-1]  # on the second page, whatever the listing's order

    cut_short = handler(stripe_on(last, "whsec_paging")[0], lambda_context)
    clock.offset_s += 2  # past the retry interval
    resumed = handler(stripe_on(last, "whsec_paging", timestamp=int(clock()))[0], lambda_context)

    assert (status_of(cut_short), status_of(resumed)) == (401, 200)
    # Page one, page two cut short, page two again: not the whole listing over.
    assert calls["ListSecrets"] == 3


def test_a_malformed_account_secret_is_read_once_not_per_request(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    account, _ = new_account(aws, "stripe", stored='{"signing_secrets": [1]}')
    clients, calls = counting(aws)
    handler = make_pipeline("stripe", clients=clients).handle_lambda

    answers = [handler(stripe_on(account, "whsec_x")[0], lambda_context) for _ in range(5)]

    # As for the bare route's secret: a misconfiguration the provider's retries outlast.
    assert {a["statusCode"] for a in answers} == {500}
    assert calls["GetSecretValue"] == 1


def test_forged_requests_on_many_accounts_force_one_re_read_a_second(
    aws: MotoServer, make_pipeline: PipelineFactory, clock: Clock, lambda_context: LambdaContext
) -> None:
    accounts = [new_account(aws, "stripe") for _ in range(10)]
    clients, calls = counting(aws)
    handler = make_pipeline("stripe", clients=clients).handle_lambda
    for account, secret in accounts:
        assert status_of(handler(stripe_on(account, secret)[0], lambda_context)) == 200
    clock.offset_s += 6  # past each account's own re-read cooldown
    calls.clear()

    forged = [
        handler(stripe_on(account, "whsec_forged", timestamp=int(clock()))[0], lambda_context)
        for account, _ in accounts
    ]

    assert {r["statusCode"] for r in forged} == {401}
    assert calls["GetSecretValue"] == 1


def test_handlers_on_the_secrets_client_do_not_grow_with_the_accounts(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    # Each Powertools provider object registers a handler on its client (to name itself in
    # the User-Agent), never removed: one per account would leak a handler per account read,
    # and run them all on every Secrets Manager call.
    accounts = [new_account(aws, "stripe") for _ in range(12)]
    clients, _ = counting(aws)
    emitter = clients["secretsmanager"].meta.events._emitter  # botocore's own registry

    def handlers() -> int:
        return len(list(emitter._handlers.prefix_search("request-created.secrets-manager.x")))

    handler = make_pipeline(
        "stripe", clients=clients, HOOKGATE_ACCOUNT_CACHE_SIZE="4"
    ).handle_lambda
    after_cold_start = handlers()
    for account, secret in accounts + accounts[:4]:  # the LRU evicts and reads again
        assert status_of(handler(stripe_on(account, secret)[0], lambda_context)) == 200

    assert handlers() == after_cold_start
