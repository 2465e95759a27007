"""`hookgate new-provider <name> [--like <provider>]`: the files a new provider needs.

Writes the provider's module, its function folder and its test file, each with
`TODO(new-provider)` where a fact about the provider is needed; the registry test
(tests/unit/test_registry.py) and the new test file fail until none is left. Then
`make template` writes everything derived from the definition: template.yaml, the docs
tables and the events. See docs/adding-a-provider.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NAME", "Scaffold", "scaffold"]

#: A provider name: a public contract (route, `Source`, function folder, `Enable<Name>`).
NAME = re.compile(r"[a-z][a-z0-9]{1,30}")
TODO = "TODO(new-provider)"

_MODULE = '''\
"""{title}: `X-{title}-Signature: <hex HMAC-SHA256 of the body>`.

{todo}: what {title} signs, exactly, from its documentation (and the link below).
"""

from __future__ import annotations

import json

from hookgate.providers.base import Deployment, Docs, Local, Provider, Signed, json_field, rotating
from hookgate.providers.schemes import HmacHeader

# {todo}: the header, and the algorithm, encoding and prefix if not sha256 hex.
SIGNATURE = HmacHeader("X-{title}-Signature")


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    # {todo}: a body shaped like {title}'s, carrying `delivery_id` and `event_type`.
    return json.dumps({{"id": delivery_id, "type": event_type, "created": timestamp}}).encode()


PROVIDER = Provider(
    name="{name}",
    verify=SIGNATURE.verify_body,
    delivery_id=json_field("id"),
    event_type=json_field("type"),
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("body",), id="body `id`"),
    local=Local(sign=SIGNATURE.sign_body, example_body=example_body, example_event_type="created"),
    deployment=Deployment(
        title="{title}",
        console="{title} ({todo}: where in its console the webhook URL is pasted)",
        secret=rotating("{title} webhook signing secret"),
    ),
    docs=Docs(
        url="https://{todo}",
        summary="HMAC-SHA256 over the body",
        scheme="body → HMAC-SHA256 hex",
        headers="`X-{title}-Signature: <hex>`",
        event_type="body `type`",
        retries="{todo}",
        oracle="{todo}",
    ),
)
'''

_FUNCTION = '''\
"""Receives {title} webhooks: verify, drop replays, publish to EventBridge."""

import hookgate

lambda_handler = hookgate.handler("{name}")
'''

_TEST = '''\
"""{title}: hookgate agrees with {title}'s published example (or its official SDK) both ways."""

from __future__ import annotations

from tests.support.oracles import rejects, request_for, sign, verify

# {todo}: a genuine delivery from {title}'s documentation or official SDK (never one
# hookgate signed): the secret, the body exactly as sent, and the headers.
DOC_SECRET = "{todo}"
DOC_BODY = b"{todo}"
DOC_HEADERS: dict[str, str] = {{}}


def test_the_documented_delivery_verifies() -> None:
    assert verify("{name}", request_for(DOC_HEADERS, DOC_BODY), DOC_SECRET).key_index == 0


def test_the_documented_delivery_changed_by_one_byte_is_refused() -> None:
    assert rejects("{name}", request_for(DOC_HEADERS, DOC_BODY + b" "), DOC_SECRET)


def test_hookgate_signs_the_documented_delivery_as_{name}_does() -> None:
    ours = sign("{name}", DOC_SECRET, DOC_BODY)

    assert all(ours[name] == value for name, value in DOC_HEADERS.items() if name in ours)
    assert DOC_HEADERS, "{todo}: fill in the documented delivery"
'''


@dataclass(frozen=True)
class Scaffold:
    """The files written for one new provider, relative to the repository."""

    name: str
    files: tuple[Path, ...]


def _title(name: str) -> str:
    return name.capitalize()


def _like(root: Path, like: str, name: str) -> str:
    source = (root / _module_path(like)).read_text(encoding="utf-8")
    if f'name="{like}"' not in source and f'"{like}",' not in source:
        raise ValueError(f"{like!r} is not a provider module hookgate new-provider can copy")
    source = source.replace(f'name="{like}"', f'name="{name}"', 1)
    if f'name="{name}"' not in source:  # a preset over a shared scheme: name passed first
        source = source.replace(f'"{like}",', f'"{name}",', 1)
    note = (
        f'"""{TODO}: copied from `{like}`. Check every value below against {_title(name)}\'s '
        "documentation,\nthen replace this line with what it signs.\n\n"
    )
    return source.replace('"""', note, 1) if source.startswith('"""') else note + '"""\n' + source


def _module_path(name: str) -> Path:
    return Path("layers/hookgate/src/hookgate/providers") / f"{name}.py"


def scaffold(root: Path, name: str, *, like: str | None = None) -> Scaffold:
    """Write provider `name`'s module, function and test under the repository `root`.

    Raises:
        ValueError: `name` is not a valid provider name, already exists, or `like` is unknown.
    """
    if not NAME.fullmatch(name):
        raise ValueError(f"{name!r}: a provider name is 2-31 lower-case letters and digits")
    if like and not (root / _module_path(like)).is_file():
        raise ValueError(f"no provider {like!r} to start from")
    title = _title(name)
    files = {
        _module_path(name): (
            _like(root, like, name) if like else _MODULE.format(name=name, title=title, todo=TODO)
        ),
        Path("functions") / name / "app.py": _FUNCTION.format(name=name, title=title),
        Path("tests/unit/providers") / f"test_{name}.py": _TEST.format(
            name=name, title=title, todo=TODO
        ),
    }
    existing = [str(path) for path in files if (root / path).exists()]
    if existing:
        raise ValueError(f"provider {name!r} exists already ({', '.join(existing)})")
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return Scaffold(name=name, files=tuple(files))


def repository_root(start: Path) -> Path:
    """The hookgate checkout containing `start`.

    Raises:
        ValueError: `start` is not inside one.
    """
    for candidate in (start, *start.parents):
        if (candidate / "template.yaml").is_file() and (candidate / _module_path("base")).is_file():
            return candidate
    raise ValueError("run it inside a hookgate checkout (no template.yaml and layer found)")
