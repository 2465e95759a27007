"""A TCP relay from Docker's bridge address to the loopback AWS emulator.

Containers started by `sam local` sit on Docker's bridge network, where 127.0.0.1 is the
container itself (SAM 1.170 ignores `--docker-network host`). The relay makes the emulator that
`make run` keeps on loopback reachable from there, without binding it to every interface.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import shutil
import socket
import socketserver
import subprocess
import threading

BUFFER = 65536


def docker_bridge_address() -> str | None:
    """The host's address on Docker's default bridge network, when Docker runs here."""
    if shutil.which("docker") is None:
        return None
    result = subprocess.run(
        ["docker", "network", "inspect", "bridge"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return None
    for config in json.loads(result.stdout)[0].get("IPAM", {}).get("Config") or []:
        if config.get("Gateway"):
            gateway = str(config["Gateway"])
        elif config.get("Subnet"):
            # Docker gives the bridge interface the subnet's first address when none is named.
            gateway = str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
        else:
            continue
        if ipaddress.ip_address(gateway).version == 4:
            return gateway
    return None


class _Pipe(socketserver.BaseRequestHandler):
    server: Relay

    def handle(self) -> None:
        try:
            upstream = socket.create_connection(self.server.target, timeout=10)
        except OSError:
            return
        with upstream:
            upstream.settimeout(None)
            pump = threading.Thread(target=_copy, args=(upstream, self.request), daemon=True)
            pump.start()
            _copy(self.request, upstream)
            pump.join(timeout=30)


def _copy(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(BUFFER):
            sink.sendall(chunk)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


class Relay(socketserver.ThreadingTCPServer):
    """Listens on `listen` and forwards every connection to `target`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        super().__init__(listen, _Pipe)
        self.target = target

    def start(self) -> Relay:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
