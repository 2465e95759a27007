"""`make invoke P=<provider> [E=valid]`: regenerate that provider's events and invoke its
function once through the Lambda runtime interface emulator, with the template's environment
against a fresh local AWS emulator; print the response and what reached the bus."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dev import template
from dev.local.emulator import MotoServer, provision, receive_events
from dev.local.samples import DEV_SECRETS, STORED_DEV_SECRETS
from dev.runtime.rie import LambdaFunction
from dev.samlocal.events import EVENTS_DIR, write_events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make invoke", description=__doc__)
    parser.add_argument("provider", choices=sorted(DEV_SECRETS))
    parser.add_argument("event", nargs="?", default="valid", help="events/<provider>/<event>.json")
    parser.add_argument("--events-dir", type=Path, default=EVENTS_DIR)
    args = parser.parse_args(argv)

    write_events([args.provider], out_dir=args.events_dir)
    event_file = args.events_dir / args.provider / f"{args.event}.json"
    if not event_file.exists():
        names = sorted(p.stem for p in event_file.parent.glob("*.json"))
        raise SystemExit(f"no {event_file.name}; this provider has: {', '.join(names)}")
    logical_id = template.function_for(args.provider)
    code_dir = template.ROOT / template.functions()[logical_id]["CodeUri"]
    with MotoServer() as aws:
        resources = provision(aws, STORED_DEV_SECRETS)
        with LambdaFunction(code_dir, resources.env_for(logical_id), name=logical_id) as function:
            result = function.invoke(json.loads(event_file.read_text()))
        print(f"{logical_id} <- {event_file}")
        print("response:", json.dumps(result, indent=2))
        published = receive_events(aws, resources.queue_url, wait_s=2)
        print("published:", json.dumps(published, indent=2) if published else "nothing")
    return 0 if 200 <= int(result.get("statusCode", 500)) < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
