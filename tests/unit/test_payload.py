"""How a verified body appears in the published event."""

from __future__ import annotations

import base64

import pytest

from hookgate.payload import parse_payload
from hookgate.request import Request
from tests.support import shapes


def request(body: bytes, content_type: str | None) -> Request:
    headers = [("Content-Type", content_type)] if content_type else []
    return Request.from_event(shapes.rest_v1(headers=headers, body=body))


def test_parse_json_body_is_parsed() -> None:
    payload = parse_payload(request(b'{"id": "evt_1", "n": [1, 2]}', "application/json"))

    assert payload.event == {"id": "evt_1", "n": [1, 2]}
    assert payload.json == payload.event


def test_parse_form_body_keeps_repeated_fields() -> None:
    body = b"a=1&b=x+y&a=2&empty="

    payload = parse_payload(request(body, "application/x-www-form-urlencoded; charset=utf-8"))

    assert payload.event == {"form": {"a": ["1", "2"], "b": "x y", "empty": ""}}
    assert payload.json is None


@pytest.mark.parametrize("content_type", ["text/plain", "application/json"])
def test_parse_text_that_is_not_json_is_text(content_type: str) -> None:
    assert parse_payload(request(b"hello {", content_type)).event == {"text": "hello {"}


def test_parse_json_with_nan_is_text_not_invalid_json() -> None:
    assert parse_payload(request(b'{"x": NaN}', "application/json")).event == {"text": '{"x": NaN}'}


def test_parse_binary_body_is_base64() -> None:
    body = b"\xff\xfe\x00"

    payload = parse_payload(request(body, "application/octet-stream"))

    assert payload.event == {"base64": base64.b64encode(body).decode()}
