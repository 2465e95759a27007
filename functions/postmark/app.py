"""Receives Postmark webhooks: check the Basic credentials, drop replays, publish to EventBridge."""

import hookgate

lambda_handler = hookgate.handler("postmark")
