"""The parts of the docs written from the provider definitions: docs/security.md's table of
what each provider's signature covers. `--check` fails (for `make lint`) when it is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hookgate import providers
from hookgate.providers.base import Provider

SECURITY = Path(__file__).resolve().parent.parent / "docs" / "security.md"
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
    return (
        f"| `{provider.name}` | {'; '.join(signed.covers)} | {key} | {', '.join(unsigned)} "
        f"| {signed.captured} |"
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
    current = SECURITY.read_text(encoding="utf-8")
    rendered = render(current)
    if "--check" in sys.argv[1:]:
        if rendered != current:
            print("docs/security.md's signed-material table is out of date: run `make docs`")
            return 1
        return 0
    SECURITY.write_text(rendered, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
