"""Genuine-looking test deliveries: what a provider would send, signed with a given secret.

Used by the `hookgate` CLI and the local stack; the deployed functions never import it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from hookgate import providers
from hookgate.devtools.lambda_events import rest_event
from hookgate.errors import ConfigurationError
from hookgate.payload import body_fields, parse_payload
from hookgate.providers import paypal, plaid, sns
from hookgate.request import Request

__all__ = [
    "TestDelivery",
    "has_account_dev_secrets",
    "local_dev_secret",
    "make_delivery",
    "stored_dev_secret",
]

#: The PayPal and SNS dev signers' RSA key: the one dev key not declared in a provider module,
#: so that no private key is in the deployed layer (which leaves devtools out). Fixed, so that
#: `hookgate send paypal|sns` and `make run`, in separate processes, agree: the local stack
#: serves a certificate for it, issued by a dev CA it makes at start and that only its own
#: PayPal and SNS functions trust (`dev/local/certificates.py`). Knowing it gains nothing
#: against a deployed function, which downloads certificates only from PayPal's or SNS's own
#: hosts over TLS checked against the runtime's CA bundle.
_DEV_RSA_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDNVSvH0sJ3CePL\n"
    "DQsKUUCG4JgwQ01+14MXF6r29Tq4Nqb3OJQN8tpFEVxlYCYGwFNpY9fr6624Fmnq\n"
    "T4C30turyaDwzmJSIo9D3vRP2wCayA7/SCleWuFUZUaYtvW62upL52atU/sp4hT+\n"
    "GQftbER9h1VUJx3JuQJIhpqguwgafkzz0OXB97RpXms6sbDCGt44yIbtWaauLrph\n"
    "oTJEUXQJMMTwZOaza4IBpzxYvDVudHfL9rZJG2oHkTLN0RqAQmKA+mMAGexE77IV\n"
    "/OENfD0spAHDbV+qIgG4JrwTbRp7X4S/+42xpRyBNzSJVZN6gSL36FbElpd69Dat\n"
    "L+wx59wfAgMBAAECggEAGWMpeZhmcN9pKcbgEZOAPezxBC6eG0u8KpPDkKs7amFf\n"
    "fXuiWqMnN5jw6pvbt8P5zDMLFGFcZkFnMRBJYvEQNgpE+uEZqPwa6JJddK4oQfrw\n"
    "V8HtU3w7Ffs7olAky8ibZW0j9dRHXqNUYyJnJ4TWZwrfkvsPJMzaKmtyHONjGhtA\n"
    "1lKitBLmo1fG58tdnMhqF5NC+btWrNHzbikW+2U0PkxkggOF84Izcju65DtV2xFx\n"
    "fp3S0RQYw/sI66dqt2jpplyxbRN616KdWcGWxRBlkywT5GWlIRT5pkYvOPjae+1/\n"
    "w30g4wg+70kYWnk2NPINZICzrtVCPg3LMxxY4ySTYQKBgQDxDQ3xg/5DYwp7vtwD\n"
    "1NOBM/vFb0JWGcC0c60v7LibomGTV9XCZAjWXJiOU9PHTYV1OfjV9jQyVstFe/5u\n"
    "S/pHgDbZ4GbUTeR6D03UmQdmh9ZruuitOOc3RynK1Ar5SI6nGPqCiwBWFoummUms\n"
    "zBOEsbeMrZnXA5Av/XTCZW+gsQKBgQDaEQzJYRZDfby4741YgUrPm5VK1BwKeCpn\n"
    "3XHvbyDNbEFAXmUfumMNEIgu888O3L74dWPISNPjLRlOATfKedyXgNT7VzY9XiZT\n"
    "iDfMlZeqZS9tpGHlcUIIvD+Wohwayr+P/x77aZXlTE7fDRgrXC7M207D+bPE4Snr\n"
    "C55Zrbb9zwKBgEUSI4uv8byndYqN3wduBYkBN0SUo+J+EJzkhJy17RQTjHgm9AZ2\n"
    "mZ2q/L/Tv1xdlz9G9EmC+ePuwOJRLE+4j6fLUmxOA8kT5MMg/YFMtDUp+UP3U9LG\n"
    "+mH5jz0iU16o7s9steOQJvGEFlIPnG/aLkGYlurFl85no/pMWxeU706RAoGAQ2Vn\n"
    "nUm7VsqirEmlVshG9dkxD/p0XCv9dzJyxzyCV9rwY9OIz4CMonoMjO5ffUluYF3v\n"
    "o/QWQK0sl/Y6ZwK40b5IlRHEOr1BfSmpjTpisJArU2ittPsHHKoJwSWDKCingfqo\n"
    "ea2NXVvzOG7UnHoWIMxbEKi5Dc1FZlal7zOITfMCgYAmQwE0yXdk1go+636vw6hC\n"
    "0JhJ0YdQ7xvUkIIbpFx/MlHIKFB5KaRMfMEqZEPrxorkx3TQzDhoPlmsP/eSvsYb\n"
    "FjD1BSNl98u9BZ5J/iMCPnB6iPrx3Fy/fcdKKAxXy4ApayXmfpfYsZWIeNdzD1aI\n"
    "WiLVhTttrAte3QYZxwq4OA==\n"
    "-----END PRIVATE KEY-----\n"
)

#: The Plaid dev signer's P-256 key, here for the same reason: the local stack's Plaid key
#: endpoint (`dev/local/certificates.py`) serves its public half as a JWK, to the local Plaid
#: function only. Knowing it gains nothing against a deployed function, which asks only Plaid's
#: own API for keys.
_DEV_EC_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWQjkVxMQRFc8o2jB\n"
    "rnJBrKu7fdQjgAlYgdoP6VgocEChRANCAAQs+EyHUdNEo0qHU4okEr0x1JKIW3rY\n"
    "UhTgzLrOBH+szU/ey9Af4v5E38Wbgmdu4F13pb1LBGApVs8HbVHSGldb\n"
    "-----END PRIVATE KEY-----\n"
)

#: The providers whose local dev secret is a signer built around a dev key.
DEV_SIGNERS = {
    "paypal": paypal.local_signer(_DEV_RSA_KEY),
    "plaid": plaid.local_signer(_DEV_EC_KEY),
    "sns": sns.local_signer(_DEV_RSA_KEY),
}


def local_dev_secret(provider: str, account: str | None = None) -> str:
    """The signing side of `provider`'s local secret (`make run`): what `sign` is given. For
    shared secrets it is also the stored secret; for asymmetric schemes it is the private key,
    and the function's secret holds the public half (`Local.stored_secret`). Local only.

    An account's dev secret is the provider's with `-<account>` appended; only providers with
    one plain shared secret have them (a key pair or a structured secret has no such suffix).

    Raises:
        ConfigurationError: unknown provider, or one without accounts' dev secrets.
    """
    local = providers.get(provider).local
    default = local.dev_secret or f"hookgate-local-dev-secret-{provider}"
    secret = DEV_SIGNERS.get(provider, default)
    if account is None:
        return secret
    if not has_account_dev_secrets(provider):
        raise ConfigurationError(f"{provider} has no dev secrets for accounts: pass the secret")
    return f"{secret}-{account}"


def has_account_dev_secrets(provider: str) -> bool:
    """Whether `local_dev_secret(provider, account)` exists (one plain shared secret)."""
    return provider not in DEV_SIGNERS and providers.get(provider).local.stored_secret is str


def stored_dev_secret(provider: str, account: str | None = None) -> str:
    """What the local stack stores in Secrets Manager for `provider` (or one of its accounts)."""
    return providers.get(provider).local.stored_secret(local_dev_secret(provider, account))


@dataclass(frozen=True)
class TestDelivery:
    """A request as the provider would send it, and the id and type hookgate will read from it."""

    __test__ = False  # not a pytest test class

    provider: str
    headers: dict[str, str]
    body: bytes = field(repr=False)
    delivery_id: str
    event_type: str
    #: Where it is sent: the endpoint, with what the provider adds to it (Mailchimp's secret).
    url: str = ""


def make_delivery(
    provider: str,
    secret: str,
    *,
    body: bytes | None = None,
    event_type: str | None = None,
    timestamp: int | None = None,
    url: str = "https://localhost/",
    delivery_id: str | None = None,
) -> TestDelivery:
    """A delivery signed with `secret`; an example body when `body` is None.

    Raises:
        ConfigurationError: unknown provider.
    """
    definition = providers.get(provider)
    timestamp = int(time.time()) if timestamp is None else timestamp
    local = definition.local
    url = local.endpoint(url, secret)
    event_type = event_type or local.example_event_type
    delivery_id = delivery_id or str(uuid.uuid4())
    if body is None:
        body = local.example_body(
            delivery_id=delivery_id, event_type=event_type, timestamp=timestamp, secret=secret
        )
    headers = {
        "Content-Type": local.content_type,
        **local.sign(
            secret,
            body,
            timestamp=timestamp,
            delivery_id=delivery_id,
            event_type=event_type,
            url=url,
        ),
    }
    # Read the id and type back the way the function will, so what is reported is what counts.
    request = Request.from_event(rest_event("POST", url, headers.items(), body))
    parsed = body_fields(request, parse_payload(request, json_body=definition.json_body))
    return TestDelivery(
        provider=provider,
        headers=headers,
        body=body,
        delivery_id=definition.replay_key(request, parsed),
        event_type=definition.event_type(request, parsed) or event_type,
        url=url,
    )
