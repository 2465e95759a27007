"""The floor: what any webhook receiver does at the least, written directly with boto3.

Imports nothing of hookgate, so a cold start of this module is the floor of a cold start.
Run as a script (`python -m bench.floor EVENT_FILE`), it is one cold start: clients, the secret,
one delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from typing import Any

import boto3

from bench.rss import end_cold_start


def floor_handle(
    event: dict[str, Any], secret: str, clients: dict[str, Any], env: dict[str, str]
) -> None:
    """The least a correct receiver does: decode, one verification, a conditional write of a
    replay record, PutEvents, the record's completion. Its DynamoDB requests are the ones
    hookgate's replay guard makes (the same item, condition and update), written directly."""
    body = base64.b64decode(event["body"])
    headers = {k.lower(): v[-1] for k, v in event["multiValueHeaders"].items()}
    provider = "github"
    if "stripe-signature" in headers:
        provider = "stripe"
        timestamp = headers["stripe-signature"].split(",")[0][2:]
        signed, offered = (
            timestamp.encode() + b"." + body,
            headers["stripe-signature"].split("v1=")[1],
        )
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    elif "x-signature-ed25519" in headers:
        provider = "discord"
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        public_key = Ed25519PublicKey.from_public_bytes(
            bytes.fromhex(json.loads(secret)["public_key"])
        )
        signed = headers["x-signature-timestamp"].encode() + body
        public_key.verify(bytes.fromhex(headers["x-signature-ed25519"]), signed)
        expected = offered = ""
    else:
        offered = headers["x-hub-signature-256"]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected.encode(), offered.encode())
    # The replay record a correct receiver needs: INPROGRESS with an expiry of its own, so a
    # crashed invocation does not block the provider's retries; the old item on a conflict, to
    # tell a completed delivery from one in flight; COMPLETED with the record's TTL after.
    now = time.time()
    key = {"id": {"S": f"floor#{uuid.uuid4().hex}"}}
    expiration = {"N": str(int(now) + 604800)}
    clients["dynamodb"].put_item(
        TableName=env["HOOKGATE_REPLAY_TABLE"],
        Item={**key, "expiration": expiration, "status": {"S": "INPROGRESS"},
              "in_progress_expiration": {"N": str(int(now * 1000) + 10_000)}},
        ConditionExpression="attribute_not_exists(#id) OR #expiry < :now OR (#status = "
        ":inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < "
        ":now_in_millis)",
        ExpressionAttributeNames={"#id": "id", "#expiry": "expiration",
                                  "#in_progress_expiry": "in_progress_expiration",
                                  "#status": "status"},
        ExpressionAttributeValues={":now": {"N": str(int(now))},
                                   ":now_in_millis": {"N": str(int(now * 1000))},
                                   ":inprogress": {"S": "INPROGRESS"}},
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )  # fmt: skip
    detail = body.decode()
    if len(body) > 999_000:  # too large for one event: about the claim check hookgate makes
        clients["s3"].put_object(
            Bucket=env["HOOKGATE_PAYLOAD_BUCKET"], Key=f"floor/{key['id']['S']}", Body=body
        )
        detail = json.dumps({"payload_ref": key["id"]["S"]})
    event_id = clients["events"].put_events(
        # hookgate's source, so an emulator routes it like hookgate's events (rules, archive).
        Entries=[{"EventBusName": env["HOOKGATE_EVENT_BUS"], "Source": f"hookgate.{provider}",
                  "DetailType": "bench", "Detail": detail}]
    )["Entries"][0]["EventId"]  # fmt: skip
    clients["dynamodb"].update_item(
        TableName=env["HOOKGATE_REPLAY_TABLE"], Key=key,
        UpdateExpression="SET #response_data = :response_data, #expiry = :expiry, "
        "#status = :status",
        ExpressionAttributeNames={"#expiry": "expiration", "#response_data": "data",
                                  "#status": "status"},
        ExpressionAttributeValues={":expiry": expiration,
                                   ":response_data": {"S": json.dumps({"event_id": event_id})},
                                   ":status": {"S": "COMPLETED"}},
    )  # fmt: skip


def cold_start(event_file: str) -> None:
    env = dict(os.environ)
    services = ("secretsmanager", "dynamodb", "events", "s3")
    clients = {s: boto3.client(s) for s in services}  # type: ignore[call-overload]
    secret = clients["secretsmanager"].get_secret_value(SecretId=env["HOOKGATE_SECRET_ID"])
    with open(event_file, encoding="utf-8") as handle:
        event = json.load(handle)
    floor_handle(event, secret["SecretString"], clients, env)
    end_cold_start()


if __name__ == "__main__":
    cold_start(sys.argv[1])
