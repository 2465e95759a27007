"""DocuSign Connect: hookgate agrees with an HMAC computed here as DocuSign documents it and its
Python code example computes it (`hmac.new(secret.encode(), body, sha256)`, base64), both ways;
DocuSign's SDKs do not verify Connect messages. One numbered header per active key."""

from __future__ import annotations

import json

from hookgate import providers
from hookgate.payload import body_fields, parse_payload
from tests.support.oracles import b64, hmac_digest, rejects, request_for, sign, verify

OLD, NEW = "docusign-old-key-0123=", "docusign-new-key-4567="
#: A JSON SIM message shaped as Connect sends one (a real one's fields, without the summary).
BODY = (
    b'{"event":"envelope-completed","apiVersion":"v2.1",'
    b'"uri":"/restapi/v2.1/accounts/24dfce13-9dce-4aa0-ba12-da5389bb9d8a/envelopes/'
    b'a70a5ef2-12c4-4aaf-84c5-b84134dce420","retryCount":0,"configurationId":21752918,'
    b'"generatedDateTime":"2025-05-30T18:03:50.4233752Z","data":{"accountId":'
    b'"24dfce13-9dce-4aa0-ba12-da5389bb9d8a","envelopeId":"a70a5ef2-12c4-4aaf-84c5-b84134dce420"}}'
)


def signature(key: str, body: bytes = BODY) -> str:
    """Base64 of HMAC-SHA256(key as UTF-8, raw body): DocuSign's documented signature."""
    return b64(hmac_digest(key, body))


def test_any_numbered_header_may_match_any_key() -> None:
    headers = {"X-DocuSign-Signature-1": signature(NEW), "X-DocuSign-Signature-2": signature(OLD)}

    assert verify("docusign", request_for(headers, BODY), NEW).key_index == 0
    assert verify("docusign", request_for(headers, BODY), OLD).key_index == 0
    rotating = json.dumps({"signing_secrets": [NEW, OLD]})
    only_old = {"X-DocuSign-Signature-1": signature(OLD)}
    assert verify("docusign", request_for(only_old, BODY), rotating).key_index == 1
    # Keys removed from the account leave gaps in the numbering: any header counts.
    gap = {"X-DocuSign-Signature-3": signature(OLD)}
    assert verify("docusign", request_for(gap, BODY), OLD)


def test_a_changed_body_hex_and_headers_past_the_hundredth_are_refused() -> None:
    changed = BODY.replace(b"completed", b"voided")
    genuine = {"X-DocuSign-Signature-1": signature(OLD)}
    assert rejects("docusign", request_for(genuine, changed), OLD)
    hexed = {"X-DocuSign-Signature-1": hmac_digest(OLD, BODY).hex()}
    assert rejects("docusign", request_for(hexed, BODY), OLD)
    beyond = {"X-DocuSign-Signature-101": signature(OLD)}
    assert rejects("docusign", request_for(beyond, BODY), OLD)
    many = {f"X-DocuSign-Signature-{n}": "AAAA" for n in range(1, 101)}
    assert rejects("docusign", request_for({**many, **beyond}, BODY), OLD)


def test_a_legacy_xml_message_is_signed_the_same_way() -> None:
    xml = b'<?xml version="1.0"?>\r\n<DocuSignEnvelopeInformation><EnvelopeStatus/>'
    xml += b"</DocuSignEnvelopeInformation>\r\n"
    headers = {"X-DocuSign-Signature-1": signature(OLD, xml)}

    assert verify("docusign", request_for(headers, xml), OLD)


def _also_key(body: bytes) -> str | None:
    request = request_for({"X-DocuSign-Signature-1": signature(OLD, body)}, body)
    definition = providers.get("docusign")
    assert definition.also_once_per is not None
    return definition.also_once_per(request, body_fields(request, parse_payload(request)))


def test_a_retry_shares_its_second_key_and_nothing_else_does() -> None:
    retry = BODY.replace(b'"retryCount":0', b'"retryCount":3')
    reordered = json.dumps(json.loads(BODY), indent=2).encode()
    other_event = BODY.replace(b"envelope-completed", b"envelope-voided")
    later = BODY.replace(b"50.4233752Z", b"50.4233753Z")

    assert _also_key(BODY) is not None
    assert _also_key(retry) == _also_key(BODY) == _also_key(reordered)
    assert len({_also_key(BODY), _also_key(other_event), _also_key(later)}) == 3
    assert _also_key(b"<DocuSignEnvelopeInformation/>") is None


def test_hookgate_signs_as_docusign_does() -> None:
    assert sign("docusign", OLD, BODY)["X-DocuSign-Signature-1"] == signature(OLD)
