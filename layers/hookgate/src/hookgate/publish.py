"""Publishing verified deliveries to Amazon EventBridge."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from hookgate.errors import DownstreamError

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

__all__ = ["EventPublisher", "source_for"]


def source_for(provider: str) -> str:
    """The EventBridge `Source` of a provider's events (a public contract)."""
    return f"hookgate.{provider}"


class EventPublisher:
    """Puts one event per delivery on a bus; any failure is a `DownstreamError`."""

    def __init__(self, bus: str, *, client: EventBridgeClient) -> None:
        self._bus = bus
        self._client = client

    def publish(self, *, source: str, detail_type: str, detail: Mapping[str, Any]) -> str:
        """Publish and return the EventBridge event id.

        Raises:
            DownstreamError: the call failed or EventBridge refused the entry
                (`FailedEntryCount` > 0), so the delivery is not on the bus.
        """
        entry = {
            "EventBusName": self._bus,
            "Source": source,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, separators=(",", ":"), ensure_ascii=False),
        }
        try:
            response = self._client.put_events(Entries=[entry])  # type: ignore[list-item]
        except (BotoCoreError, ClientError) as exc:
            raise DownstreamError() from exc
        entries = response.get("Entries") or [{}]
        if response.get("FailedEntryCount", 0) or not entries[0].get("EventId"):
            raise DownstreamError()
        return entries[0]["EventId"]
