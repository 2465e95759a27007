"""No secret or signature in any log line or response of the whole session (run last)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import LOGS
from tests.leaks import RESPONSES, SECRETS, SIGNATURES

#: Asana's handshake must echo the secret it delivers (`X-Hook-Secret`): the protocol.
PROTOCOL_ECHOES = frozenset({"X-Hook-Secret"})


@pytest.mark.last
def test_no_secret_or_signature_in_any_log_line_or_response() -> None:
    if not RESPONSES:
        pytest.skip("run with the rest of the suite: it checks what the suite produced")
    logged = LOGS.getvalue()
    answered = json.dumps(
        [
            {**r, "headers": {k: v for k, v in r["headers"].items() if k not in PROTOCOL_ECHOES}}
            for r in RESPONSES
        ]
    )
    leaked = sorted(s for s in SECRETS | SIGNATURES if s in logged or s in answered)

    assert leaked == []
    print(
        f"{len(SECRETS)} secrets and {len(SIGNATURES)} signatures checked against "
        f"{len(logged.splitlines())} log lines and {len(RESPONSES)} responses"
    )
