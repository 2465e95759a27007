"""Request normalization: every API Gateway / Lambda event shape gives the same request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from hookgate.errors import BadRequest, NotFound, PayloadTooLarge
from hookgate.material import SecretMaterial
from hookgate.providers import github
from hookgate.request import Request
from tests.support import shapes

# A body no UTF-8 decoder accepts, and JSON whose exact bytes any re-serialization would change.
NON_UTF8_BODY = b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary \xc3\x28"
ODD_JSON_BODY = (
    b'{  "id" :"evt_1",\n\t"name":"caf\\u00e9 \\ud83d\\ude00",  "n": 1.0E+2,'
    b' "s":"\xc3\xa9\xe2\x82\xac", "slash":"a\\/b" ,"dup":1,"dup":2 }\r\n'
)
HEADERS = [("Content-Type", "application/json"), ("X-Custom", "one")]


@pytest.mark.parametrize("shape", shapes.ALL_SHAPES)
@pytest.mark.parametrize("body", [ODD_JSON_BODY, b"", b"plain"], ids=["odd_json", "empty", "plain"])
def test_from_event_any_shape_body_is_exact_bytes(shape: str, body: bytes) -> None:
    event = shapes.ALL_SHAPES[shape](headers=HEADERS, body=body)

    request = Request.from_event(event)

    assert request.body == body
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["X-CUSTOM"] == "one"


@pytest.mark.parametrize("shape", shapes.BINARY_SAFE)
def test_from_event_non_utf8_body_is_exact_bytes(shape: str) -> None:
    event = shapes.ALL_SHAPES[shape](headers=HEADERS, body=NON_UTF8_BODY)

    assert Request.from_event(event).body == NON_UTF8_BODY


@pytest.mark.parametrize(
    ("shape", "body"),
    [(shape, ODD_JSON_BODY) for shape in shapes.ALL_SHAPES]
    # A text-mode event cannot carry bytes that are not UTF-8.
    + [(shape, NON_UTF8_BODY) for shape in shapes.BINARY_SAFE],
)
def test_verification_any_shape_accepts_signature_over_received_bytes(
    shape: str, body: bytes
) -> None:
    secret = "shape-secret"
    # GIVEN a signature computed independently over the bytes the provider sent
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    event = shapes.ALL_SHAPES[shape](
        headers=[*HEADERS, ("X-Hub-Signature-256", signature)], body=body
    )

    # WHEN hookgate normalizes and verifies
    verification = github.PROVIDER.verify(
        Request.from_event(event),
        SecretMaterial(signing_secrets=(secret,)),
        now_s=0,
        tolerance_s=300,
    )

    # THEN it verifies, and parsing the body afterwards still sees the provider's JSON
    assert verification.key_index == 0
    if body is ODD_JSON_BODY:
        assert json.loads(body)["dup"] == 2


def test_from_event_rest_multi_value_headers_keeps_every_value() -> None:
    event = shapes.rest_v1(headers=[("X-Dup", "a"), ("x-dup", "b")], body=b"")

    request = Request.from_event(event)

    assert request.headers.get_all("x-dup") == ("a", "b")
    assert request.headers["X-Dup"] == "a, b"


def test_from_event_http_v2_cookies_and_raw_query_are_kept() -> None:
    event = shapes.http_v2(
        headers=[("X-A", "1")],
        body=b"",
        query=[("b", "2"), ("a", "x y"), ("a", "z")],
        cookies=["s=1", "t=2"],
    )

    request = Request.from_event(event)

    assert request.headers["cookie"] == "s=1; t=2"
    assert request.query == {"b": ("2",), "a": ("x y", "z")}
    assert request.url == f"https://{shapes.HOST}/webhooks/x?b=2&a=x%20y&a=z"


def test_from_event_rest_url_includes_stage_and_query() -> None:
    event = shapes.rest_v1(
        headers=[("Host", shapes.HOST), ("X-Forwarded-Proto", "https")],
        body=b"",
        query=[("q", "1")],
        stage="prod",
    )

    request = Request.from_event(event)

    assert request.url == f"https://{shapes.HOST}/prod/webhooks/x?q=1"
    assert request.path == "/webhooks/x"


def test_from_event_function_url_has_no_stage() -> None:
    event = shapes.function_url(headers=[], body=b"")

    assert Request.from_event(event).url == (
        "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/webhooks/x"
    )


def test_from_event_alb_query_is_decoded_once() -> None:
    event = shapes.alb(headers=[], body=b"", query=[("next", "a&b=c d")])

    request = Request.from_event(event)

    assert request.query == {"next": ("a&b=c d",)}


def test_from_event_public_url_setting_wins() -> None:
    event = shapes.rest_v1(headers=[], body=b"")

    request = Request.from_event(event, public_url="https://hooks.example.com/stripe")

    assert request.url == "https://hooks.example.com/stripe"


def test_from_event_forwarded_port_is_kept_when_not_default() -> None:
    event = shapes.http_v2(headers=[("X-Forwarded-Port", "8443")], body=b"")

    assert Request.from_event(event).url == f"https://{shapes.HOST}:8443/webhooks/x"


@pytest.mark.parametrize(
    "headers",
    [
        [("Host", "[")],
        [("Host", "example.com]")],
        [("Host", "example.com:port")],
        [("X-Forwarded-Port", "eighty")],
    ],
)
def test_from_event_host_that_is_no_host_is_bad_request(headers: list[tuple[str, str]]) -> None:
    # Found by `make fuzz`: such a Host made Twilio's URL parsing raise (a 500). ALB events
    # have no domainName, so theirs is the one shape where the Host header names the host.
    event = shapes.alb(headers=headers, body=b"")

    with pytest.raises(BadRequest):
        Request.from_event(event)


@pytest.mark.parametrize(
    "headers",
    [
        [("Host", "hooks.example.com/other/path?")],
        [("Host", "hooks.example.com@evil.example")],
        [("X-Forwarded-Port", "443/other/path?")],
        [("X-Forwarded-Port", "1, 8443/x")],
    ],
)
def test_from_event_host_or_port_that_would_rewrite_the_signed_url_is_bad_request(
    headers: list[tuple[str, str]],
) -> None:
    # Audit finding 7: a "/" in Host or X-Forwarded-Port replaced the path of the URL that
    # Twilio, Square and the generic {url} are verified against.
    event = shapes.alb(headers=headers, body=b"")

    with pytest.raises(BadRequest):
        Request.from_event(event)


@pytest.mark.parametrize("shape", ["rest_v1", "http_v2", "function_url"])
def test_from_event_host_header_does_not_override_the_domain_aws_routed(shape: str) -> None:
    event = shapes.ALL_SHAPES[shape](headers=[("Host", "evil.example")], body=b"")

    request = Request.from_event(event)

    assert "evil.example" not in request.url
    assert request.url.startswith(f"https://{event['requestContext']['domainName']}/")


def test_from_event_client_value_before_the_proxys_own_is_ignored() -> None:
    # An appending proxy keeps what the client sent first and adds its own last.
    event = shapes.rest_v1(
        headers=[("X-Forwarded-Proto", "http"), ("X-Forwarded-Proto", "https"),
                 ("X-Forwarded-Port", "8443, 443")],
        body=b"",
    )  # fmt: skip

    assert Request.from_event(event).url == f"https://{shapes.HOST}/prod/webhooks/x"


@pytest.mark.parametrize("part", ["header value", "header name", "path", "query"])
def test_from_event_lone_surrogate_is_bad_request(part: str) -> None:
    # Audit finding 8: a lone surrogate (possible in a JSON event) made verifiers' `.encode()`
    # raise, a 500 for an unauthenticated request.
    text = "a\ud800b"
    header = (text, "v") if part == "header name" else ("X-Id", text)
    event = shapes.rest_v1(
        headers=[header] if part.startswith("header") else [],
        body=b"",
        query=[("q", text)] if part == "query" else [],
    )
    if part == "path":
        event["path"] = event["requestContext"]["path"] = "/webhooks/" + text

    with pytest.raises(BadRequest):
        Request.from_event(event)


@pytest.mark.parametrize("shape", ["rest_v1", "http_v2", "alb"])
def test_from_event_invalid_base64_is_bad_request(shape: str) -> None:
    event = shapes.ALL_SHAPES[shape](headers=[], body=b"x")
    event["body"] = "not*base64!"

    with pytest.raises(BadRequest):
        Request.from_event(event)


@pytest.mark.parametrize("event", [{}, {"foo": 1}, [], "text"])
def test_from_event_not_http_is_bad_request(event: object) -> None:
    with pytest.raises(BadRequest):
        Request.from_event(event)  # type: ignore[arg-type]


@pytest.mark.parametrize("base64_body", [True, False])
def test_from_event_over_limit_is_payload_too_large(base64_body: bool) -> None:
    event = shapes.rest_v1(headers=[], body=b"a" * 1001, base64_body=base64_body)

    with pytest.raises(PayloadTooLarge):
        Request.from_event(event, max_body_bytes=1000)
    assert Request.from_event(event, max_body_bytes=1001).body == b"a" * 1001


def test_headers_repr_never_shows_values() -> None:
    event = shapes.rest_v1(headers=[("Stripe-Signature", "t=1,v1=deadbeef")], body=b"")

    request = Request.from_event(event)

    assert "deadbeef" not in repr(request)
    assert "deadbeef" not in repr(request.headers)
    body = base64.b64encode(b"secret body").decode()
    assert body not in repr(request)


@pytest.mark.parametrize("value", ["0", "ftp", "javascript", "https://evil", ""])
def test_from_event_forwarded_proto_other_than_http_or_https_means_https(value: str) -> None:
    event = shapes.http_v2(headers=[("X-Forwarded-Proto", value)], body=b"")

    assert Request.from_event(event).url == f"https://{shapes.HOST}/webhooks/x"


def test_from_event_forwarded_proto_http_is_kept() -> None:
    event = shapes.http_v2(headers=[("X-Forwarded-Proto", "HTTP")], body=b"")

    assert Request.from_event(event).url == f"http://{shapes.HOST}/webhooks/x"


@pytest.mark.parametrize("shape", ["rest_v1", "http_v2"])
def test_from_event_account_route_names_the_account_and_its_url(shape: str) -> None:
    event = shapes.ALL_SHAPES[shape](
        path="/webhooks/twilio", headers=HEADERS, body=b"x", account="acme"
    )

    request = Request.from_event(event)

    assert request.account == "acme"
    assert request.url.endswith("/webhooks/twilio/acme")


@pytest.mark.parametrize("shape", shapes.ALL_SHAPES)
def test_from_event_bare_route_and_routeless_shapes_have_no_account(shape: str) -> None:
    # A function URL or an ALB has no routes, so no path parameters: never an account.
    event = shapes.ALL_SHAPES[shape](path="/webhooks/twilio/acme", headers=HEADERS, body=b"x")

    assert Request.from_event(event).account is None


def test_from_event_public_url_setting_gains_the_account_segment() -> None:
    event = shapes.rest_v1(path="/webhooks/twilio", headers=HEADERS, body=b"", account="acme")

    request = Request.from_event(event, public_url="https://hooks.example.com/twilio/")

    assert request.url == "https://hooks.example.com/twilio/acme"


@pytest.mark.parametrize("account", ["Acme", "acme.", "a" * 64, "-a", "a_b", "", 7, ["acme"]])
def test_account_that_is_not_an_account_name_is_not_found(account: object) -> None:
    event = shapes.rest_v1(path="/webhooks/stripe", headers=HEADERS, body=b"")
    event["pathParameters"] = {"account": account}

    with pytest.raises(NotFound):
        Request.from_event(event)
    with pytest.raises(NotFound):
        Request.of("POST", "https://h/webhooks/stripe", {}, b"", account=account)  # type: ignore[arg-type]
