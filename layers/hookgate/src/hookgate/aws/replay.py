"""The replay guard: each delivery id is published at most once, through Powertools Idempotency.

Timeline of one delivery id in the DynamoDB table (one conditional write before publishing,
one update after):

1. `PutItem` with a condition that no live record exists: the record is INPROGRESS, expiring
   with the Lambda invocation's remaining time, so a crashed invocation does not block retries.
2. Publish. If it raises, the record is deleted, so the provider's retry is processed again.
3. `UpdateItem` to COMPLETED, expiring after the TTL (longer than any provider retries); if
   that fails, it is tried once more, and the delivery is acknowledged either way (it is on
   the bus).

A second delivery of a COMPLETED id is a replay: acknowledged, not published. One that arrives
while the first is INPROGRESS gets a 5xx, so the provider retries it after the first settles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)

from hookgate.errors import DeliveryInProgress, DownstreamError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["TABLE_KEY", "TABLE_TTL_ATTRIBUTE", "Outcome", "ReplayGuard"]

#: The table's partition key and TTL attribute (Powertools' defaults; template.yaml matches).
TABLE_KEY = "id"
TABLE_TTL_ATTRIBUTE = "expiration"

_REPLAYED = "replayed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one delivery id."""

    event_id: str
    duplicate: bool


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    # Powertools calls this only when it answers from a COMPLETED record.
    return {**response, _REPLAYED: True} if isinstance(response, dict) else response


#: What a record's hash is taken of: the delivery id alone on the bare route, or the pair
#: `[account, delivery id]`. Powertools hashes the JSON of it, and a JSON string never equals
#: a JSON list, so no account's key can collide with the bare route's (whose keys are the
#: same as before accounts existed), nor two accounts' keys with each other.
_Key = str | list[str]


class ReplayGuard:
    """Runs an action at most once per `<key_prefix>#<hash of delivery id>` record, or per
    `<key_prefix>#<hash of [account, delivery id]>` for an account's deliveries."""

    def __init__(
        self,
        table: str,
        *,
        client: DynamoDBClient,
        ttl_s: int,
        key_prefix: str,
    ) -> None:
        self._config = IdempotencyConfig(
            event_key_jmespath="delivery_id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=ttl_s,
            response_hook=_mark_replayed,
        )
        store = DynamoDBPersistenceLayer(
            table_name=table,
            boto3_client=client,
            key_attr=TABLE_KEY,
            expiry_attr=TABLE_TTL_ATTRIBUTE,
        )

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="delivery",
            persistence_store=store,
            config=self._config,
            key_prefix=key_prefix,
        )
        def once(*, delivery: dict[str, _Key], action: Callable[[], str]) -> dict[str, Any]:
            return {"event_id": action()}

        self._once = once
        self._store = store

    def _complete(self, key: _Key, event_id: str) -> None:
        with suppress(Exception):  # best effort: the caller acknowledges either way
            self._store.save_success(data={"delivery_id": key}, result={"event_id": event_id})

    def run_once(
        self,
        keys: Sequence[str],
        action: Callable[[], str],
        *,
        account: str | None = None,
        context: LambdaContext | None = None,
    ) -> Outcome:
        """Run `action` (which returns an event id) unless one of `keys` already ran, for
        `account` (None: the bare route); other accounts' keys are other records.

        The keys are claimed in order, each record inside the previous one's: a failure
        anywhere removes every record claimed for this attempt, so the provider's retry is
        processed again, and a duplicate under any key is a duplicate.

        Raises:
            DeliveryInProgress: another invocation holds one of the keys right now.
            DownstreamError: DynamoDB failed before the action completed.
            Whatever `action` raises, after its records have been removed.
        """
        first, *rest = keys
        key: _Key = first if account is None else [account, first]
        if not rest:
            return self._run_once(key, action, context=context)
        inner: list[Outcome] = []

        def run_rest() -> str:
            inner.append(self.run_once(rest, action, account=account, context=context))
            return inner[-1].event_id

        outcome = self._run_once(key, run_rest, context=context)
        duplicate = outcome.duplicate or any(o.duplicate for o in inner)
        return Outcome(event_id=outcome.event_id, duplicate=duplicate)

    def _run_once(
        self,
        key: _Key,
        action: Callable[[], str],
        *,
        context: LambdaContext | None = None,
    ) -> Outcome:
        """Run `action` (which returns an event id) unless this key already ran.

        Raises:
            DeliveryInProgress: another invocation is handling the same id right now.
            DownstreamError: DynamoDB failed before the action completed.
            Whatever `action` raises, after its record has been removed.
        """
        if context is not None:
            self._config.register_lambda_context(context)
        published: list[str] = []

        def run_and_remember() -> str:
            published.append(action())
            return published[-1]

        try:
            result = self._once(delivery={"delivery_id": key}, action=run_and_remember)
        except IdempotencyAlreadyInProgressError as exc:
            raise DeliveryInProgress() from exc
        except IdempotencyPersistenceLayerError as exc:
            if published:
                # The event is on the bus; only marking it COMPLETED failed. Acknowledge it:
                # a 5xx would make the provider retry and publish it a second time. Try once
                # more to complete the record, or a duplicate arriving after the in-progress
                # expiry would be published again.
                self._complete(key, published[-1])
                return Outcome(event_id=published[-1], duplicate=False)
            raise DownstreamError() from exc
        return Outcome(event_id=str(result["event_id"]), duplicate=bool(result.get(_REPLAYED)))
