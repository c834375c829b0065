"""Each request is answered with its own services, whatever else the process answers meanwhile."""

from __future__ import annotations

import threading

import pytest

from tests.fakes import FakeServices
from ticketing.api import http


def test_requests_on_two_threads_each_see_their_own_services():
    mine, theirs = FakeServices(), FakeServices()
    both_inside = threading.Barrier(2)
    seen: dict[str, object] = {}

    def answer(name: str, services: FakeServices) -> None:
        with http.serving(services):
            both_inside.wait(timeout=5)
            seen[name] = http.current_services()

    threads = [threading.Thread(target=answer, args=pair) for pair in (("mine", mine), ("theirs", theirs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["mine"] is mine and seen["theirs"] is theirs


def test_outside_a_request_there_are_no_services():
    with pytest.raises(LookupError):
        http.current_services()
