"""Running the door: the API-key rule, the listening socket and uvicorn with its limits."""

from __future__ import annotations

import gc
import ipaddress
import socket
from collections.abc import Mapping
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from guard.errors import GuardError
from guard.server.limits import protocol_with_head_timeout
from guard.server.service import Service

BACKLOG = 2048  # connections the kernel queues before accept; the stdlib server's 5 reset most of 200 clients
KEEP_ALIVE = 5  # seconds an idle keep-alive connection is kept
MAX_CONNECTIONS = 1024


class ServeError(GuardError):
    """The door cannot start: no API key for a non-loopback address, or the address cannot be bound."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_key_for(host: str, key_file: str | None, environ: Mapping[str, str]) -> str | None:
    """The key from ``key_file`` or ``$GUARD_API_KEY``; refuses to go without one off loopback."""
    if key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ServeError(f"--api-key-file {key_file}: cannot read: {exc}") from None
        if not key:
            raise ServeError(f"--api-key-file {key_file}: the file is empty")
        return key
    key = environ.get("GUARD_API_KEY", "").strip() or None
    if key is None and not is_loopback(host):
        raise ServeError(f"refusing to serve on {host} without an API key: "
                         "give --api-key-file FILE or set GUARD_API_KEY (or bind 127.0.0.1)")
    return key


def listen(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free one), or ``ServeError`` saying why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def settle(service: Service) -> None:
    """Warm ``service`` so no request waits for jieba, then freeze what is loaded out of collections.

    Full garbage collections, which stall every thread, then no longer walk the rule set and the
    other objects that live as long as the server.
    """
    service.warm()
    gc.collect()
    gc.freeze()


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def server_for(app: ASGIApp, *, read_timeout: float, max_connections: int = MAX_CONNECTIONS,
               access_log: bool = True) -> uvicorn.Server:
    """uvicorn over ``app`` with guard's limits; start it with ``server.run(sockets=[listen(...)])``."""
    config = uvicorn.Config(
        app, http=protocol_with_head_timeout(read_timeout), backlog=BACKLOG, timeout_keep_alive=KEEP_ALIVE,
        limit_concurrency=max_connections, lifespan="off", log_config=None, access_log=access_log,
        server_header=False,
    )
    return uvicorn.Server(config)
