"""Confirming Amazon SNS subscriptions through the SNS API, in the topic's own region."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from hookgate.errors import BadSignature, DownstreamError
from hookgate.providers.base import Subscription

__all__ = ["SubscriptionConfirmer"]

#: SNS's answer when the token is not (or no longer) one it issued for this topic. Any other
#: refusal (the role lacking `sns:ConfirmSubscription`, throttling) is hookgate's to fix, and
#: SNS sends the confirmation again.
_REFUSED_TOKEN_CODES = frozenset({"InvalidParameter"})


class SubscriptionConfirmer:
    """`ConfirmSubscription` with a verified message's topic and token.

    The confirmation is an API call by the function's role rather than a fetch of the
    message's `SubscribeURL`: the URL needs no other check, and the call is scoped by IAM.
    """

    def __init__(self, client_for_region: Callable[[str], Any]) -> None:
        self._client_for_region = client_for_region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def confirm(self, subscription: Subscription) -> str:
        """The confirmed subscription's ARN.

        Raises:
            BadSignature: SNS refuses the token (expired, or not for this topic).
            DownstreamError: SNS could not be reached or failed; SNS should send it again.
        """
        region = subscription.topic_arn.split(":")[3]
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                client = self._clients[region] = self._client_for_region(region)
        try:
            answer = client.confirm_subscription(
                TopicArn=subscription.topic_arn, Token=subscription.token
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _REFUSED_TOKEN_CODES:
                raise BadSignature() from exc
            raise DownstreamError() from exc
        except BotoCoreError as exc:
            raise DownstreamError() from exc
        return str(answer.get("SubscriptionArn", ""))
