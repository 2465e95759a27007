"""The parts of the docs written from the provider definitions: docs/security.md's table of
what each provider's signature covers. `--check` fails (for `make lint`) when it is stale.
"""

from __future__ import annotations

import re
from pathlib import Path

from dev.rendering.generated import write_or_check
from hookgate import providers
from hookgate.providers.base import Provider

SECURITY = Path(__file__).resolve().parents[2] / "docs" / "security.md"
_REGION = re.compile(
    r"(<!-- >>> generated: signed-material[^\n]*\n)(.*?)(<!-- <<< generated -->)", re.S
)


def _row(provider: Provider) -> str:
    signed = provider.signed
    key = signed.id or f"digest of {signed.digest_of}"
    unsigned = [
        *(("`DetailType`",) if "event_type" in provider.unsigned_fields else ()),
        *(("payload",) if "payload" in provider.unsigned_fields else ()),
        *(f"`{h}`" for h in provider.published_headers if h in provider.unsigned_headers),
    ]
    captured = signed.captured
    if provider.signs_body and not provider.signs_timestamp:
        # Nothing signed says when it was sent: the replay record is the only memory of it.
        captured += "; after `ReplayTtlSeconds` (7 days) a resend is published again"
    return (
        f"| `{provider.name}` | {'; '.join(signed.covers)} | {key} | {', '.join(unsigned)} "
        f"| {captured} |"
    )


def signed_material() -> str:
    """The table, one row per provider, from each definition's `signed` declaration."""
    header = (
        "| provider | the signature covers | replay key | published but unsigned "
        "| a captured delivery still allows |\n|---|---|---|---|---|\n"
    )
    return header + "\n".join(_row(providers.get(name)) for name in providers.NAMES) + "\n"


def render(text: str) -> str:
    rendered, count = _REGION.subn(lambda m: m.group(1) + signed_material() + m.group(3), text)
    if count != 1:
        raise SystemExit("docs/security.md has no generated signed-material region")
    return rendered


def main() -> int:
    return write_or_check(SECURITY, render(SECURITY.read_text(encoding="utf-8")), target="docs")


if __name__ == "__main__":
    raise SystemExit(main())
