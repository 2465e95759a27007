"""What must never leave a function, collected across the whole test session: every secret and
signature the tests used, and every response the handler gave. `tests/test_no_leaks.py`, run
last, checks the one against the other and against every log line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: Secrets the tests configured or signed with.
SECRETS: set[str] = set()
#: Signatures the tests sent, and the ones hookgate would expect for forged bodies.
SIGNATURES: set[str] = set()
#: Every response a handler returned in-process.
RESPONSES: list[dict[str, Any]] = []
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
