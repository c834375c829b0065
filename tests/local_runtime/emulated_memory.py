"""moto with the local runtime's AgentCore Memory emulation, for tests of anything that reads or writes events.

Use `moto_memory()` as a context manager, or the `moto_memory` fixture (this folder's
conftest has it; another folder's conftest gets it with `from
tests.local_runtime.emulated_memory import moto_memory_fixture`). Clients made inside,
with `boto3.client` or any new session, answer ListEvents and CreateEvent as AWS does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_runtime import agentcore_memory

REGION = "us-east-1"


@dataclass(frozen=True)
class MotoMemory:
    """One AgentCore Memory resource in moto, with the emulation installed."""

    memory_id: str
    region: str = REGION
    session: boto3.session.Session = field(default_factory=boto3.session.Session, repr=False)

    def client(self, **config: Any) -> Any:
        """A new `bedrock-agentcore` client with the emulation's hooks."""
        return self.session.client("bedrock-agentcore", region_name=self.region, **config)


@contextmanager
def moto_memory(region: str = REGION) -> Iterator[MotoMemory]:
    """A fresh moto account with one memory, the emulation installed for the block, and no global left changed."""
    default_session = boto3.DEFAULT_SESSION
    with mock_aws(), agentcore_memory.emulated_memory():
        boto3.DEFAULT_SESSION = None  # a default session made before the install would lack the hooks
        try:
            session = boto3.session.Session()  # one session: its clients share loaded models
            memory = session.client("bedrock-agentcore-control", region_name=region).create_memory(
                name="supportflow_tickets", eventExpiryDuration=90
            )["memory"]
            yield MotoMemory(memory_id=memory["id"], region=region, session=session)
        finally:
            boto3.DEFAULT_SESSION = default_session


@pytest.fixture(name="moto_memory")
def moto_memory_fixture() -> Iterator[MotoMemory]:
    """A fresh moto account with one memory, and the emulation, for one test."""
    with moto_memory() as memory:
        yield memory
