"""The body as it appears in the published event: parsed once, never re-read."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from hookgate.request import Request

__all__ = ["Payload", "body_fields", "loads", "loads_unique", "parse_payload"]

_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Payload:
    """`event` is what goes into `detail.payload`; `json` is the parsed JSON body, else None.

    For a JSON body, `event_json` is the body's own text: it goes into the published event as
    is, so the payload is never re-serialized (and numbers keep their exact spelling).
    """

    event: Any
    json: Any = None
    raw_json: str | None = None

    @property
    def event_json(self) -> str:
        """`event` as JSON text."""
        if self.raw_json is not None:
            return self.raw_json
        return json.dumps(self.event, separators=(",", ":"), ensure_ascii=False)


def loads(data: bytes | str) -> Any:
    """Parse JSON that anyone may have sent, with one error for every way it can fail.

    Raises:
        ValueError: not JSON, `NaN`/`Infinity`, or nested too deeply for the parser (which
            raises `RecursionError`: a 500 for anyone who sends `[[[[...]]]]`).
    """
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def loads_unique(data: bytes | str) -> Any:
    """`loads`, also refusing a name given twice in an object: parsers disagree on which copy
    wins, so a signed structure read twice could be read two ways (SNS, Plaid's JWT).

    Raises:
        ValueError: as `loads`, or a name given twice.
    """
    try:
        return json.loads(data, object_pairs_hook=_unique_names, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("a name given twice")
    return dict(pairs)


def parse_payload(request: Request, *, json_body: bool = False) -> Payload:
    """JSON bodies as parsed JSON, form bodies as `{"form": ...}`, other text as `{"text": ...}`,
    anything else as `{"base64": ...}`. `json_body`: JSON whatever the Content-Type says.
    """
    body = request.body
    content_type = request.content_type
    if content_type == _FORM and not json_body:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            pairs = None
        if pairs is not None:
            return Payload(event={"form": _form_fields(pairs)})
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Payload(event={"base64": base64.b64encode(body).decode("ascii")})
    if json_body or "json" in content_type or not content_type:
        try:
            parsed = loads(text)
        except ValueError:  # published as text: a 500 would make the provider retry forever
            parsed = None
        else:
            return Payload(event=parsed, json=parsed, raw_json=text)
    return Payload(event={"text": text})


def body_fields(request: Request, payload: Payload) -> Any:
    """What providers read ids and event types from: the body's JSON whatever the Content-Type
    says, else the published form (`{"form": ...}`, `{"text": ...}`).

    The Content-Type is not signed. It decides how the body is published, but if it also
    decided what id or type is read, resending a captured delivery under another one would
    make it a new delivery.
    """
    if payload.json is not None or request.body.lstrip()[:1] not in (b"{", b"["):
        return payload.event
    try:
        return loads(request.body)
    except ValueError:
        return payload.event


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON: EventBridge would refuse the event forever.
    raise ValueError(name)


def _form_fields(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    fields: dict[str, str | list[str]] = {}
    for key, value in pairs:
        if key not in fields:
            fields[key] = value
        else:
            previous = fields[key]
            fields[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
    return fields
