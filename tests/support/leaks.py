"""What must never leave a function: every secret and signature the tests used, collected
across the session. After each test, `tests/conftest.py` checks the log lines it wrote and the
responses the handler gave it against everything collected so far (`leaked`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: Secrets the tests configured or signed with.
SECRETS: set[str] = set()
#: Signatures the tests sent, and the ones hookgate would expect for forged bodies.
SIGNATURES: set[str] = set()
#: Every response a handler returned in-process.
RESPONSES: list[dict[str, Any]] = []
#: Asana's handshake must echo the secret it delivers (`X-Hook-Secret`): the protocol.
PROTOCOL_ECHOES = frozenset({"X-Hook-Secret"})
# Too short to be a secret or signature: a timestamp, "v0=", a version.
_MEANINGFUL = 12


def remember_secret(*values: str) -> None:
    SECRETS.update(v for v in values if len(v) >= _MEANINGFUL)


def remember_signatures(headers: Mapping[str, str], *names: str) -> None:
    """Remember the values of the signature headers `names` found in `headers`."""
    wanted = {n.lower() for n in names}
    for name, value in headers.items():
        if name.lower() in wanted and len(value) >= _MEANINGFUL:
            SIGNATURES.add(value)
            # Also the bare signature inside "t=...,v1=<sig>" or "sha256=<sig>" forms.
            for part in value.replace(",", " ").replace("=", " ").split():
                if len(part) >= 32:
                    SIGNATURES.add(part)


def recording(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """`handler`, keeping a copy of every response it returns."""

    def handle(event: Any, context: Any = None) -> dict[str, Any]:
        response = handler(event, context)
        RESPONSES.append(response)
        return response

    return handle


def leaked(logged: str, responses: Sequence[Mapping[str, Any]]) -> list[str]:
    """The remembered secrets and signatures found in `logged` or in `responses`."""
    answered = json.dumps(
        [
            {**r, "headers": {k: v for k, v in r["headers"].items() if k not in PROTOCOL_ECHOES}}
            for r in responses
        ]
    )
    return sorted(s for s in SECRETS | SIGNATURES if s in logged or s in answered)
