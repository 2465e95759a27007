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
from dev.gateway import STAGE
from dev.samples import DEV_SECRETS, sample
from hookgate.lambda_events import rest_event

EVENTS_DIR = template.ROOT / "events"


def write_events(providers: list[str], out_dir: Path = EVENTS_DIR) -> list[Path]:
    written = []
    for provider in providers:
        delivery = sample(provider)
        # "tampered": the same signature over a body changed by one byte, rejected with 401.
        bodies = {"valid": delivery.body, "tampered": delivery.body.replace(b"}", b" }", 1)}
        for name, body in bodies.items():
            event = rest_event(
                "POST",
                f"http://127.0.0.1:3000/webhooks/{provider}",
                delivery.headers.items(),
                body,
                stage=STAGE,
            )
            target = out_dir / provider / f"{name}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(event, indent=2) + "\n")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make events", description=__doc__)
    parser.add_argument("providers", nargs="*", default=sorted(DEV_SECRETS))
    args = parser.parse_args(argv)
    for path in write_events(args.providers):
        print(f"wrote {path.relative_to(template.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
