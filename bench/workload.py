"""The deliveries and the floor: what any receiver must do at the least, written directly."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from hookgate import providers
from hookgate.devtools.lambda_events import rest_event
from hookgate.devtools.simulate import make_delivery

SIZES = {"10KB": 10 * 1024, "1MB": 1024 * 1024}
PROVIDERS = ("stripe", "github", "discord")
#: What signs each provider's deliveries (Discord: an Ed25519 private key seed, hex).
SECRETS = {
    "stripe": "whsec_bench_secret_0123456789",
    "github": "bench-secret-github",
    "discord": "62656e63682d656432353531392d736565642d666f722d646973636f72642121",
}
#: What the functions' secrets hold (Discord: the public key).
STORED_SECRETS = {
    name: providers.get(name).local.stored_secret(secret) for name, secret in SECRETS.items()
}


@dataclass
class Case:
    provider: str
    size: str

    @property
    def name(self) -> str:
        return f"{self.provider} {self.size}"


def body_of_size(provider: str, size_bytes: int) -> bytes:
    """A JSON body of about `size_bytes`, with the fields the provider puts in its bodies."""
    envelope: dict[str, Any] = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": "bench.event",
    }
    filler = size_bytes - len(json.dumps(envelope)) - 30
    envelope["data"] = {"object": {"description": "x" * max(filler, 0)}}
    return json.dumps(envelope).encode()


def delivery_event(case: Case, account: str | None = None) -> dict[str, Any]:
    """A fresh, signed API Gateway REST event for the case, on the bare route or `account`'s."""
    body = body_of_size(case.provider, SIZES[case.size])
    url = f"https://api.example.com/prod/webhooks/{case.provider}"
    url += f"/{account}" if account else ""
    delivery = make_delivery(case.provider, SECRETS[case.provider], body=body, url=url)
    return rest_event("POST", url, delivery.headers.items(), delivery.body)
