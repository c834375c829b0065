"""One boto3 client per service and region, created on first use and reused.

Lambda keeps a container warm between invocations, so a client (and its
connection pool) is built once, not once per event.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.config import Config

_lock = threading.Lock()
_clients: dict[tuple[str, str, str], Any] = {}
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=20)


def client(service: str, region: str, *, purpose: str = "", config: Config | None = None) -> Any:
    """The process's client of `service` in `region`; a `purpose` gets a client of its own (made with `config`)."""
    key = (service, region, purpose)
    found = _clients.get(key)
    if found is None:
        import boto3  # deferred: a handler pays for boto3 only when it calls AWS

        with _lock:
            found = _clients.get(key)
            if found is None:
                found = boto3.session.Session().client(service, region_name=region, config=config or _CONFIG)
                _clients[key] = found
    return found


def reset_clients() -> None:
    """Forget cached clients (tests start each case against a fresh mock)."""
    with _lock:
        _clients.clear()
