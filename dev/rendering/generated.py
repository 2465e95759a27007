"""Files with parts written from the provider definitions: rewritten by a make target, checked
by `make lint`."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(path: Path, rendered: str, *, target: str) -> int:
    """With `--check` on the command line, 1 when `path` is not `rendered` (else 0); without
    it, write `rendered` to `path`."""
    if "--check" in sys.argv[1:]:
        if path.read_text(encoding="utf-8") != rendered:
            print(f"{path.name} is out of date: run `make {target}`")
            return 1
        return 0
    path.write_text(rendered, encoding="utf-8")
    return 0
