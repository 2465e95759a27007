"""Receives Plaid webhooks: verify, drop replays, publish to EventBridge."""

import hookgate

lambda_handler = hookgate.handler("plaid")
