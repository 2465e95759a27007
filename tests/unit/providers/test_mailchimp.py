"""Mailchimp signs nothing: the secret is a query parameter of the registered URL, compared
here with what the docs describe (the URL Mailchimp is given, its form-encoded POSTs, its GET
check), written independently of hookgate."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from hookgate import providers
from hookgate.errors import Unauthorized
from hookgate.material import SecretMaterial
from tests.support.oracles import rejects, request_for, verify

SECRET = "mailchimp-url-secret-0123"
ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/webhooks/mailchimp"
# A delivery as Mailchimp's guide shows one: form-encoded, `type`, `fired_at`, `data[...]`.
BODY = urlencode(
    {
        "type": "unsubscribe",
        "fired_at": "2009-03-26 21:40:57",
        "data[action]": "unsub",
        "data[reason]": "manual",
        "data[id]": "8a25ff1d98",
        "data[list_id]": "a6b5da1054",
        "data[email]": "api+unsub@mailchimp.com",
        "data[email_type]": "html",
    }
).encode()
FORM = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "MailChimp"}


def test_the_registered_url_is_the_endpoint_with_the_secret_in_its_query() -> None:
    local = providers.get("mailchimp").local

    assert local.endpoint(ENDPOINT, SECRET) == f"{ENDPOINT}?secret={SECRET}"
    assert local.endpoint(ENDPOINT + "?a=1", "s&t") == ENDPOINT + "?a=1&secret=s%26t"


def test_a_post_to_the_registered_url_verifies_and_its_type_is_read() -> None:
    request = request_for(FORM, BODY, url=f"{ENDPOINT}?secret={SECRET}")
    mailchimp = providers.get("mailchimp")

    assert verify("mailchimp", request, SECRET).scheme == "url-secret"
    assert mailchimp.event_type(request, {"form": {"type": "unsubscribe"}}) == "unsubscribe"


@pytest.mark.parametrize(
    "url",
    [
        ENDPOINT,
        f"{ENDPOINT}?secret=",
        f"{ENDPOINT}?secret={SECRET}x",
        f"{ENDPOINT}?secret={SECRET[:-1]}",
        f"{ENDPOINT}?Secret={SECRET}",
        f"{ENDPOINT}?secret={SECRET}&secret=other",
        f"{ENDPOINT}?secret=other&secret={SECRET}",
    ],
)
def test_anything_but_the_secret_once_is_refused(url: str) -> None:
    assert rejects("mailchimp", request_for(FORM, BODY, url=url), SECRET)


def test_the_secret_in_a_header_is_not_the_secret_in_the_url() -> None:
    headers = {**FORM, "secret": SECRET, "Authorization": SECRET}
    assert rejects("mailchimp", request_for(headers, BODY, url=ENDPOINT), SECRET)


def test_the_get_check_is_answered_200_empty_only_once_verified() -> None:
    mailchimp = providers.get("mailchimp")
    assert mailchimp.handshake is not None
    assert not mailchimp.handshake_before_verify
    material = SecretMaterial.parse(SECRET)
    check = request_for({}, b"", url=f"{ENDPOINT}?secret={SECRET}", method="GET")

    verification = verify("mailchimp", check, SECRET)
    reply = mailchimp.handshake(check, material, verification)

    assert reply is not None
    answer = reply.to_lambda()
    assert (answer["statusCode"], answer["body"]) == (200, "")
    assert SECRET not in str(answer)
    with pytest.raises(Unauthorized):
        verify("mailchimp", request_for({}, b"", url=ENDPOINT, method="GET"), SECRET)
    post = request_for(FORM, BODY, url=f"{ENDPOINT}?secret={SECRET}")
    assert mailchimp.handshake(post, material, verification) is None


def test_a_rotated_secret_still_verifies() -> None:
    stored = json.dumps({"signing_secrets": ["new-mailchimp-secret-1", SECRET]})
    request = request_for(FORM, BODY, url=f"{ENDPOINT}?secret={SECRET}")

    assert verify("mailchimp", request, stored).key_index == 1
