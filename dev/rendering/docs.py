"""The parts of the docs written from the provider definitions (`make docs`): the provider
tables of docs/providers.md and the README, and docs/security.md's table of what each
provider's signature covers. `--check` fails (for `make lint`) when any is stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from dev.rendering.generated import write_or_check
from hookgate import providers
from hookgate.providers.base import Provider

ROOT = Path(__file__).resolve().parents[2]
_REGION = re.compile(r"(<!-- >>> generated: ([\w-]+)[^\n]*\n)(.*?)(<!-- <<< generated -->)", re.S)


def _definitions() -> list[Provider]:
    return [providers.get(name) for name in providers.NAMES]


def _table(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = [f"| {' | '.join(columns)} |", "|" + "---|" * len(columns)]
    # A `|` ends a table cell even inside a code span (PayPal's signed string has three).
    lines += [f"| {' | '.join(cell.replace('|', chr(92) + '|') for cell in row)} |" for row in rows]
    return "\n".join(lines) + "\n"


def _key(provider: Provider) -> str:
    return provider.signed.id or f"digest of {provider.signed.digest_of}"


def _window(provider: Provider) -> str:
    signed = provider.signed
    return provider.docs.window or (
        "yes" if signed.timestamp else "none signed" if signed.body else "none"
    )


def _signed_material_row(provider: Provider) -> tuple[str, ...]:
    signed = provider.signed
    unsigned = [
        *(("`DetailType`",) if "event_type" in provider.unsigned_fields else ()),
        *(("payload",) if "payload" in provider.unsigned_fields else ()),
        *(f"`{h}`" for h in provider.published_headers if h in provider.unsigned_headers),
    ]
    captured = signed.captured
    if signed.body and not signed.timestamp:
        # Nothing signed says when it was sent: the replay record is the only memory of it.
        captured += "; after `ReplayTtlSeconds` (7 days) a resend is published again"
    return (
        f"`{provider.name}`",
        "; ".join(signed.covers),
        _key(provider),
        ", ".join(unsigned),
        captured,
    )


def signed_material() -> str:
    """docs/security.md: one row per provider, from each definition's `signed` declaration."""
    return _table(
        (
            "provider",
            "the signature covers",
            "replay key",
            "published but unsigned",
            "a captured delivery still allows",
        ),
        [_signed_material_row(p) for p in _definitions()],
    )


def signatures() -> str:
    """docs/providers.md: what each provider signs and where hookgate reads the rest."""
    return _table(
        (
            "provider",
            "signed content → algorithm",
            "headers",
            "delivery id",
            "event type (`DetailType`)",
            "window",
        ),
        [
            (f"`{p.name}`", p.docs.scheme, p.docs.headers, _key(p), p.docs.event_type, _window(p))
            for p in _definitions()
        ],
    )


def answers() -> str:
    """docs/providers.md: handshakes, retries and the secret's format."""
    return _table(
        (
            "provider",
            "handshake or required answer (never published)",
            "retries (provider's documentation)",
            "secret (Secrets Manager `SecretString`)",
        ),
        [
            (f"`{p.name}`", p.docs.handshake, p.docs.retries, p.deployment.secret)
            for p in _definitions()
        ],
    )


def oracles() -> str:
    """docs/providers.md: what each provider's tests check it against."""
    return _table(
        ("provider", "oracle (a test-only dependency where it exists)"),
        [(f"`{p.name}`", p.docs.oracle) for p in _definitions()],
    )


def readme_providers() -> str:
    """README: the provider table."""
    return _table(
        ("provider", "scheme", "handshake answered", "provider's docs"),
        [
            (f"`{p.name}`", p.docs.summary, p.docs.answers, f"[{p.deployment.title}]({_url(p)})")
            for p in _definitions()
        ],
    )


def readme_names() -> str:
    """README: the providers, by name, in one sentence."""
    titles = [p.deployment.title for p in _definitions()]
    return f"Providers ({len(titles)}): {', '.join(titles)}.\n"


def _url(provider: Provider) -> str:
    # Relative links (the generic provider's) are written from docs/, the README is one up.
    url = provider.docs.url
    return url if "://" in url else f"docs/{url.removeprefix('docs/')}"


REGIONS: dict[str, dict[str, Callable[[], str]]] = {
    "docs/security.md": {"signed-material": signed_material},
    "docs/providers.md": {"signatures": signatures, "answers": answers, "oracles": oracles},
    "README.md": {"provider-names": readme_names, "providers": readme_providers},
}


def render(text: str, regions: dict[str, Callable[[], str]], *, name: str) -> str:
    """`text` with each of its generated regions written anew."""
    found: list[str] = []

    def replace(match: re.Match[str]) -> str:
        found.append(match.group(2))
        return match.group(1) + regions[match.group(2)]() + match.group(4)

    rendered = _REGION.sub(replace, text)
    if sorted(found) != sorted(regions):
        raise SystemExit(f"{name} has generated regions {found}, expected {sorted(regions)}")
    return rendered


def main() -> int:
    failed = 0
    for name, regions in REGIONS.items():
        path = ROOT / name
        rendered = render(path.read_text(encoding="utf-8"), regions, name=name)
        failed |= write_or_check(path, rendered, target="docs")
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
