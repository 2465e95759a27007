"""Publishing verified deliveries to Amazon EventBridge, with large bodies claim-checked to S3."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from hookgate.config import DEFAULT_MAX_EVENT_BYTES
from hookgate.errors import ConfigurationError, DownstreamError

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client

__all__ = ["EventPublisher", "PayloadStore", "delivered_size", "source_for"]

#: What EventBridge wraps around an entry for its targets, without the source, detail type and
#: detail: the field names and the values of fixed size (a uuid, an account id, a second-exact
#: time), with room for the longest region name.
_ENVELOPE_BYTES = len(
    json.dumps(
        {
            "version": "0",
            "id": "00000000-0000-0000-0000-000000000000",
            "detail-type": "",
            "source": "",
            "account": "000000000000",
            "time": "2026-01-01T00:00:00Z",
            "region": "x" * 20,
            "resources": [],
            "detail": None,
        },
        separators=(",", ":"),
    ).removesuffix("null}")
) + len("}")
_UNSAFE_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")


def source_for(provider: str) -> str:
    """The EventBridge `Source` of a provider's events (a public contract)."""
    return f"hookgate.{provider}"


def _compact(detail: Mapping[str, Any]) -> str:
    return json.dumps(detail, separators=(",", ":"), ensure_ascii=False)


def delivered_size(*, source: str, detail_type: str, detail: str) -> int:
    """The UTF-8 size of the event EventBridge hands its targets for this entry.

    It is never smaller than the entry's own size (the UTF-8 bytes of Source, DetailType and
    Detail: what PutEvents counts), so an event within a target's limit is within EventBridge's.
    """
    quoted = json.dumps(source, ensure_ascii=False) + json.dumps(detail_type, ensure_ascii=False)
    return _ENVELOPE_BYTES + len(quoted.encode("utf-8")) - 4 + len(detail.encode("utf-8"))


class PayloadStore:
    """Keeps bodies too large for EventBridge in S3 (the bucket encrypts them at rest)."""

    def __init__(self, bucket: str, *, client: S3Client) -> None:
        self._bucket = bucket
        self._client = client

    def put(
        self, *, provider: str, account: str | None, delivery_id: str, body: bytes
    ) -> dict[str, Any]:
        """Store `body` exactly as received; return the `payload_ref` of the event contract.

        Raises:
            DownstreamError: S3 did not store it.
        """
        digest = hashlib.sha256(body).hexdigest()
        # Same delivery, same key: a retried delivery overwrites the object with itself.
        # An account's own folder: two accounts may send the same delivery id (a `/` in an id
        # is replaced, so an id cannot reach into an account's folder).
        folder = provider if account is None else f"{provider}/{account}"
        key = f"{folder}/{_UNSAFE_KEY_CHARACTERS.sub('_', delivery_id)[:200]}-{digest[:16]}"
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType="application/octet-stream",
                Metadata={"sha256": digest},
            )
        except (BotoCoreError, ClientError) as exc:
            raise DownstreamError() from exc
        return {"bucket": self._bucket, "key": key, "sha256": digest, "size": len(body)}


class EventPublisher:
    """Puts one event per delivery on a bus; any failure is a `DownstreamError`."""

    def __init__(
        self,
        bus: str,
        *,
        client: EventBridgeClient,
        payload_store: PayloadStore | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self._bus = bus
        self._client = client
        self._payload_store = payload_store
        self._max_event_bytes = max_event_bytes

    def publish(
        self,
        *,
        source: str,
        detail_type: str,
        detail: Mapping[str, Any],
        payload_json: str,
        body: bytes,
    ) -> str:
        """Publish and return the EventBridge event id.

        The event's detail is `detail` plus `payload` (`payload_json`, JSON text spliced in as
        is). When the event would be larger than `max_event_bytes` as its targets receive it,
        `body` (the exact bytes received) goes to S3 and the detail carries `payload_ref` in
        place of `payload`.

        Raises:
            DownstreamError: a call failed or EventBridge refused the entry
                (`FailedEntryCount` > 0), so the delivery is not on the bus.
            ConfigurationError: the detail is too large and no payload bucket is configured.
        """
        serialized = f'{_compact(detail)[:-1]},"payload":{payload_json}}}'
        limit = self._max_event_bytes
        # A character is at most 6 bytes in the event (a JSON escape such as \u0001, or 4 of
        # UTF-8): measure only when the size could be over.
        if (len(serialized) + len(source) + len(detail_type)) * 6 + _ENVELOPE_BYTES > limit and (
            delivered_size(source=source, detail_type=detail_type, detail=serialized) > limit
        ):
            if self._payload_store is None:
                raise ConfigurationError("payload too large for EventBridge and no bucket set")
            reference = self._payload_store.put(
                provider=str(detail["provider"]),
                account=detail.get("account"),
                delivery_id=str(detail["delivery_id"]),
                body=body,
            )
            serialized = _compact({**detail, "payload_ref": reference})
        entry = {
            "EventBusName": self._bus,
            "Source": source,
            "DetailType": detail_type,
            "Detail": serialized,
        }
        try:
            response = self._client.put_events(Entries=[entry])  # type: ignore[list-item]
        except (BotoCoreError, ClientError) as exc:
            raise DownstreamError() from exc
        entries = response.get("Entries") or [{}]
        if response.get("FailedEntryCount", 0) or not entries[0].get("EventId"):
            raise DownstreamError()
        return entries[0]["EventId"]
