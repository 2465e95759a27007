"""Receives Amazon SNS messages: verify, drop replays, publish to EventBridge."""

import hookgate

lambda_handler = hookgate.handler("sns")
