"""SnapStart hooks: a restored environment gets its own random state, clients and signing key."""

from __future__ import annotations

import random
import sys
import types
from typing import Any

import pytest

from ticketing import snapstart
from ticketing.adapters import aws_clients, signing_key


class _Secrets:
    def __init__(self) -> None:
        self.reads = 0

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:  # noqa: N803 - boto3's parameter name
        self.reads += 1
        return {"SecretString": f"key-{self.reads}"}


def test_a_restored_environment_draws_its_own_random_numbers():
    random.seed(7)  # as if the snapshot carried this state
    snapshot = random.getstate()
    snapshot_draw = random.random()
    random.setstate(snapshot)
    snapstart.after_restore()
    assert random.random() != snapshot_draw


def test_a_restored_environment_builds_its_own_clients_and_reads_the_signing_key_again(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    before = aws_clients.client("sts", "us-east-1")
    secrets = _Secrets()
    assert signing_key.signing_key(secrets, "arn:secret") == b"key-1"
    snapstart.after_restore()
    assert aws_clients.client("sts", "us-east-1") is not before
    assert signing_key.signing_key(secrets, "arn:secret") == b"key-2"
    aws_clients.reset_clients()
    signing_key.forget_keys()


def test_the_hooks_register_with_lambdas_snapshot_library(monkeypatch):
    registered: dict[str, list[Any]] = {"before": [], "after": []}
    library = types.ModuleType("snapshot_restore_py")
    library.register_before_snapshot = registered["before"].append  # type: ignore[attr-defined]
    library.register_after_restore = registered["after"].append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", library)
    assert snapstart.register_hooks() is True
    assert registered == {"before": [snapstart.before_snapshot], "after": [snapstart.after_restore]}


def test_without_lambdas_snapshot_library_no_hook_is_registered(monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as outside Lambda
    assert snapstart.register_hooks() is False


@pytest.mark.parametrize(("model_id", "loads_model_sdk"), [("none", False), ("us.anthropic.claude-sonnet-4-6", True)])
def test_before_the_snapshot_boto3_loads_and_the_model_sdk_only_where_a_model_is_set(
    monkeypatch, model_id, loads_model_sdk
):
    loaded: list[str] = []
    monkeypatch.setenv("MODEL_ID", model_id)
    monkeypatch.setattr(snapstart.importlib, "import_module", loaded.append)
    snapstart.before_snapshot()
    assert loaded == ["boto3", *(["ticketing.agents.bedrock"] if loads_model_sdk else [])]
