"""`make send P=<provider>`: post a freshly signed sample delivery to the local stack."""

from __future__ import annotations

import argparse
import sys

import requests

from dev.samples import sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make send")
    parser.add_argument("provider", choices=["stripe", "github"])
    parser.add_argument("--url", default=None, help="default http://127.0.0.1:3000/webhooks/<p>")
    args = parser.parse_args(argv)
    delivery = sample(args.provider)
    url = args.url or f"http://127.0.0.1:3000/webhooks/{args.provider}"
    try:
        response = requests.post(url, data=delivery.body, headers=delivery.headers, timeout=30)
    except requests.ConnectionError:
        print(f"nothing listens at {url}: start the stack with `make run`", file=sys.stderr)
        return 1
    print(f"POST {url} -> {response.status_code} {response.text}")
    print(f"delivery id {delivery.delivery_id} ({delivery.event_type})")
    return 0 if response.ok else 1


if __name__ == "__main__":
    sys.exit(main())
