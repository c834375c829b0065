"""The local runtime synthesizes each distinct context once per process and hands out copies."""

from __future__ import annotations

from typing import Any

import pytest

from local_runtime import synth


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake(context: dict[str, Any]) -> dict[str, Any]:
        calls.append(context)
        return {"Resources": {"Thing": {"Type": "X", "Properties": {"context": dict(context)}}}}

    monkeypatch.setattr(synth, "_templates", {})
    monkeypatch.setattr(synth, "_synthesize", fake)
    return calls


def test_the_same_context_is_synthesized_once(counted):
    first = synth.synthesize({"model_id": "none", "retry_interval_seconds": 1})
    second = synth.synthesize({"retry_interval_seconds": 1, "model_id": "none"})
    assert first == second and len(counted) == 1


def test_another_context_is_synthesized_again(counted):
    synth.synthesize({"approval_timeout_seconds": 2})
    synth.synthesize({"approval_timeout_seconds": 3})
    assert len(counted) == 2


def test_a_caller_changing_its_template_changes_no_one_elses(counted):
    mine = synth.synthesize({})
    mine["Resources"]["Thing"]["Properties"]["context"]["changed"] = True
    assert "changed" not in synth.synthesize({})["Resources"]["Thing"]["Properties"]["context"]
