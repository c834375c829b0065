"""The runtime undoes what it changed, and only that: what it installed, the socket it bound.

These tests stop short of the stack (no synthesis, no resources, no handlers): what they
check happens around those steps.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.handlers import BUILTIN_HANDLERS

from local_runtime import agentcore_memory, runtime
from local_runtime.runtime import LocalRuntime


@pytest.fixture
def no_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """start() with an empty template, no resources and no functions: only the runtime's own set-up runs."""
    monkeypatch.setattr(runtime, "synthesize", lambda context: {})
    monkeypatch.setattr(LocalRuntime, "_create_resources", lambda self: (None, None))
    monkeypatch.setattr(LocalRuntime, "_load_functions", lambda self, resolver: None)
    monkeypatch.setattr(LocalRuntime, "_start_event_source_mappings", lambda self, resources: None)


@pytest.mark.usefixtures("no_stack")
def test_a_runtime_inside_emulated_memory_leaves_the_emulation_to_its_installer() -> None:
    before = list(BUILTIN_HANDLERS)
    with agentcore_memory.emulated_memory():
        installed = list(BUILTIN_HANDLERS)
        with LocalRuntime(serve_http=False):
            pass
        assert agentcore_memory.is_installed()
        assert installed == BUILTIN_HANDLERS
    assert not agentcore_memory.is_installed()
    assert before == BUILTIN_HANDLERS


@pytest.mark.usefixtures("no_stack")
def test_a_runtime_uninstalls_the_emulation_it_installed() -> None:
    with LocalRuntime(serve_http=False):
        assert agentcore_memory.is_installed()
    assert not agentcore_memory.is_installed()


def test_a_failed_synthesis_closes_the_http_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(context: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("cdk synth failed")

    monkeypatch.setattr(runtime, "synthesize", fail)
    local = LocalRuntime()  # binds its socket now, so the base URL is known before start
    address = urlsplit(local.base_url)

    with pytest.raises(RuntimeError, match="cdk synth failed"):
        local.start()

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((str(address.hostname), int(address.port or 0)), timeout=2).close()
