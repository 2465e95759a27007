"""One hookgate cold start: import the function module, handle one delivery (a child process)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.rss import end_cold_start


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench-request"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def main(function_dir: str, event_file: str) -> None:
    sys.path.insert(0, str(Path(function_dir).resolve()))
    import app  # type: ignore[import-not-found]  # the function module, as Lambda imports it

    with open(event_file, encoding="utf-8") as handle:
        event = json.load(handle)
    response = app.lambda_handler(event, Context())
    if response["statusCode"] != 200:
        raise SystemExit(f"not accepted: {response}")
    end_cold_start()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
