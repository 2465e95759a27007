"""AWS answered in-process: a botocore `before-send` hook that returns canned responses.

Requests are still fully built, validated, serialized and signed, and responses parsed, by
botocore; only the network round trip is skipped. The same responder serves hookgate and the
floor, so the difference between them is hookgate's own work.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


class LocalResponder:
    """Counts every AWS call by operation and answers it with success."""

    def __init__(self, secret_string: str) -> None:
        self.calls: Counter[str] = Counter()
        self._bodies = {
            "PutItem": b"{}",
            "UpdateItem": b"{}",
            "DeleteItem": b"{}",
            "GetItem": b"{}",
            "PutEvents": b'{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}',
            "GetSecretValue": json.dumps(
                {
                    "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf",
                    "Name": "s",
                    "VersionId": "v1",
                    "SecretString": secret_string,
                    "VersionStages": ["AWSCURRENT"],
                    "CreatedDate": 1.7e9,
                }
            ).encode(),
        }

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-send", self._answer)
        return client

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if not target and request.method == "PUT":  # S3 speaks REST, not JSON RPC
            self.calls["PutObject"] += 1
            return AWSResponse(request.url, 200, HTTPHeaders.from_dict({"ETag": '"e"'}), _Raw(b""))
        operation = target.rsplit(".", 1)[-1]
        self.calls[operation] += 1
        body = self._bodies[operation]
        headers = HTTPHeaders.from_dict(
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "r"}
        )
        return AWSResponse(request.url, 200, headers, _Raw(body))
