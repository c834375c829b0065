"""Concurrent requests through the local HTTP API each get their own answer, as from Lambda.

The local server handles requests on parallel threads, and the API function's resolver
keeps the request it is serving on a shared object. A Lambda container serves one event
at a time, so the local runtime must too: otherwise one request reads another's event.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from local_runtime.http_client import ApiClient, Reply

from .conftest import submit_and_wait_for_link

pytestmark = pytest.mark.slow

REQUESTS = 48


@pytest.fixture
def threads_switch_constantly() -> Iterator[None]:
    """Make the interpreter switch threads every microsecond, so shared state gets interleaved."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def test_concurrent_gets_each_get_their_own_answer(api: ApiClient, threads_switch_constantly: None) -> None:
    tickets = [submit_and_wait_for_link(api)[0] for _ in range(2)]
    paths = [f"/tickets/{tickets[n % 2]}" if n % 3 else "/openapi.json" for n in range(REQUESTS)]
    start = threading.Barrier(REQUESTS)

    def get(path: str) -> Reply:
        start.wait()
        return api.request("GET", path)

    with ThreadPoolExecutor(REQUESTS) as pool:
        replies = list(pool.map(get, paths))

    assert [reply.status for reply in replies] == [200] * REQUESTS
    for path, reply in zip(paths, replies, strict=True):
        if path.startswith("/tickets/"):
            assert reply.json()["ticket_id"] == path.rsplit("/", 1)[-1]
        else:
            assert "openapi" in reply.json()
