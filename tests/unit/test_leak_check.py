"""The leak check every test runs after it (tests/conftest.py `no_leaks`) finds what it must."""

from __future__ import annotations

from tests.support.leaks import leaked, remember_secret, remember_signatures


def test_a_remembered_secret_in_a_log_line_is_found() -> None:
    secret = "leak-check-secret-0123456789"
    remember_secret(secret)

    assert leaked(f'{{"message": "oops {secret}"}}', []) == [secret]


def test_a_signature_inside_a_header_value_is_found_in_a_response_body() -> None:
    signature = "ab" * 32
    remember_signatures({"X-Sig": f"t=1,v1={signature}"}, "x-sig")
    response = {"statusCode": 401, "headers": {}, "body": f"expected {signature}"}

    assert signature in leaked("", [response])


def test_asanas_protocol_echo_of_its_secret_is_not_a_leak() -> None:
    secret = "asana-handshake-secret-0123456789"
    remember_secret(secret)
    response = {"statusCode": 200, "headers": {"X-Hook-Secret": secret}, "body": ""}

    assert leaked("", [response]) == []
