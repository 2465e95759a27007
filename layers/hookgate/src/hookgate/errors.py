"""One exception tree for everything a delivery can fail on.

Messages are fixed strings: an exception never carries the body, a header value, a signature
or a secret, so logging one or turning it into a response cannot leak any of them.
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "BadSignature",
    "ConfigurationError",
    "DeliveryInProgress",
    "DownstreamError",
    "HookgateError",
    "MethodNotAllowed",
    "MissingSignature",
    "NotFound",
    "PayloadTooLarge",
    "SourceNotAllowed",
    "StaleTimestamp",
    "Unauthorized",
    "UnknownAccount",
]


class HookgateError(Exception):
    """Base of every hookgate error; `status` is the HTTP status the caller gets."""

    status: int = 500
    message: str = "internal error"
    #: Short machine-readable reason, used as the `reason` metric dimension and log field.
    reason: str = "error"

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class BadRequest(HookgateError):
    """The request cannot be decoded (bad base64, unparseable body where one is required)."""

    status = 400
    message = "bad request"
    reason = "bad_request"


class Unauthorized(HookgateError):
    """The delivery is not proven genuine."""

    status = 401
    message = "unauthorized"
    reason = "unauthorized"


class MissingSignature(Unauthorized):
    """A header the provider always sends is absent or empty."""

    reason = "missing_signature"


class BadSignature(Unauthorized):
    """The signature header is malformed or matches no configured secret."""

    reason = "bad_signature"


class StaleTimestamp(Unauthorized):
    """The signed timestamp is further from now than the tolerance, in either direction."""

    reason = "stale_timestamp"


class UnknownAccount(Unauthorized):
    """The route names an account that has no secret: answered exactly as a bad signature,
    so that the answers do not tell which account names exist."""

    reason = "unknown_account"


class SourceNotAllowed(HookgateError):
    """The request comes from outside the provider's allow-listed source addresses."""

    status = 403
    message = "forbidden"
    reason = "ip_not_allowed"


class NotFound(HookgateError):
    """The path names no endpoint (an account segment that is not an account name)."""

    status = 404
    message = "not found"
    reason = "not_found"


class PayloadTooLarge(HookgateError):
    """The body is over the configured size limit."""

    status = 413
    message = "payload too large"
    reason = "payload_too_large"


class MethodNotAllowed(HookgateError):
    """The provider never sends this HTTP method."""

    status = 405
    message = "method not allowed"
    reason = "method_not_allowed"


class DownstreamError(HookgateError):
    """An AWS dependency failed; the provider must retry, so this is a 5xx."""

    status = 503
    message = "temporarily unavailable"
    reason = "downstream"


class DeliveryInProgress(DownstreamError):
    """Another invocation holds this delivery id right now; the retry will find it settled."""

    reason = "in_progress"


class ConfigurationError(HookgateError):
    """The function is deployed with missing or invalid settings (raised at cold start)."""

    status = 500
    message = "configuration error"
    reason = "configuration"
