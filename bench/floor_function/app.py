"""The floor as a Lambda function: clients and secret at init, then the least work per event."""

import os
from typing import Any

import boto3

from bench.floor import floor_handle

ENV = dict(os.environ)
CLIENTS: dict[str, Any] = {
    s: boto3.client(s) for s in ("secretsmanager", "dynamodb", "events", "s3")
}
SECRET = CLIENTS["secretsmanager"].get_secret_value(SecretId=ENV["HOOKGATE_SECRET_ID"])[
    "SecretString"
]


def lambda_handler(event, context):  # type: ignore[no-untyped-def]
    floor_handle(event, SECRET, CLIENTS, ENV)
    return {"statusCode": 200, "body": "{}"}
