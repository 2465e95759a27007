"""`make events`: write signed API Gateway events to events/<provider>/ for `sam local invoke`.

Signed timestamps go stale (Stripe's window is 5 minutes), so the events are regenerated
rather than kept: run this right before invoking.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dev import template
from dev.local.gateway import STAGE
from dev.local.samples import DEV_SECRETS, sample
from hookgate import providers
from hookgate.devtools.lambda_events import rest_event

EVENTS_DIR = template.ROOT / "events"


def write_events(names: list[str], out_dir: Path = EVENTS_DIR) -> list[Path]:
    written = []
    for provider in names:
        url = f"http://127.0.0.1:3000/webhooks/{provider}"
        delivery = sample(provider, url=url)
        definition = providers.get(provider)
        # "tampered": one byte changed after signing (of the body, or of a token that signs
        # nothing), rejected with 401.
        tampered_headers = dict(delivery.headers)
        body = delivery.body
        if definition.signed.body or definition.signature_header not in tampered_headers:
            body = body[:-1] + bytes([body[-1] ^ 1])
        else:
            tampered_headers[definition.signature_header] = "x" + tampered_headers.get(
                definition.signature_header, ""
            )
        # Where the provider's URL holds the secret (Mailchimp), the tampered one lacks it.
        requests = {
            "valid": (delivery.url, delivery.headers, delivery.body),
            "tampered": (url, tampered_headers, body),
        }
        for name, (target_url, headers, body) in requests.items():
            event = rest_event("POST", target_url, headers.items(), body, stage=STAGE)
            target = out_dir / provider / f"{name}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(event, indent=2) + "\n")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make events", description=__doc__)
    parser.add_argument("providers", nargs="*", default=sorted(DEV_SECRETS))
    parser.add_argument(
        "--missing", action="store_true", help="only providers without events yet (make template)"
    )
    args = parser.parse_args(argv)
    names = args.providers
    if args.missing:
        names = [name for name in names if not (EVENTS_DIR / name / "valid.json").exists()]
    for path in write_events(names):
        print(f"wrote {path.relative_to(template.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
