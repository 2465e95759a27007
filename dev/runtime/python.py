"""The Lambda runtime's Python version, runnable here: to compile the layer's bytecode for it.

Lambda imports a layer from a read-only /opt. Without bytecode made by the runtime's exact
Python version, every cold start compiles every module of the layer again (about 0.1 s;
`make bench` measures it). Bytecode does not depend on the CPU architecture, only on the
Python version, so any Python 3.13 can make it: `python3.13` if this machine has one,
otherwise Debian's, from the root filesystem `make sam-local` also uses, started through its
own dynamic loader (no chroot, no root needed once the filesystem exists).

    python -m dev.runtime.python -m compileall ...    # what the layer's Makefile runs
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

from dev.samlocal.setup import ensure_debian_rootfs, lambda_python_version

__all__ = ["available", "command", "lambda_python_version", "shell_command"]


def command(version: str | None = None) -> tuple[list[str], dict[str, str]]:
    """(argv prefix, extra environment) that run Python `version` (the template's runtime)."""
    version = version or lambda_python_version()
    installed = shutil.which(f"python{version}")
    # A version manager's shim may be on PATH without that version selected: try it.
    if installed and subprocess.run([installed, "-c", ""], capture_output=True).returncode == 0:
        return [installed], {}
    rootfs = ensure_debian_rootfs(version)
    loaders = sorted(rootfs.glob("lib*/ld-linux-*.so.*"))
    if not loaders:
        raise SystemExit(f"no dynamic loader in {rootfs}")
    library_path = os.pathsep.join(
        str(d) for d in (*rootfs.glob("lib/*-linux-gnu"), *rootfs.glob("usr/lib/*-linux-gnu"))
    )
    python = rootfs / "usr" / "bin" / f"python{version}"
    argv = [str(loaders[0]), "--library-path", library_path, str(python)]
    return argv, {"PYTHONHOME": str(rootfs / "usr")}


def available() -> tuple[list[str], dict[str, str]] | None:
    """`command()`, or None where no Python of the runtime's version can be had (not Linux,
    no root for debootstrap): the layer still works from sources, its cold starts are slower."""
    try:
        return command()
    except (SystemExit, OSError, subprocess.CalledProcessError) as error:
        print(f"note: no Python {lambda_python_version()} here ({error}); the layer ships "
              "sources only", file=sys.stderr)  # fmt: skip
        return None


def shell_command(runtime: tuple[list[str], dict[str, str]]) -> str:
    """`runtime` (from `command()`) as the one shell word list the layer's `LAMBDA_PYTHON` takes."""
    argv, env = runtime
    return shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), *argv])


def main(args: list[str]) -> None:
    runtime = available()
    if runtime is None:
        return
    argv, env = runtime
    sys.exit(subprocess.run([*argv, *args], env={**os.environ, **env}, check=False).returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
