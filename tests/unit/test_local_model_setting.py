"""The local stack runs offline unless SUPPORTFLOW_MODEL_ID names a Bedrock model."""

from __future__ import annotations

from local_runtime.runtime import LocalRuntime


def test_by_default_the_local_stack_has_no_model_and_mocks_everything(monkeypatch):
    monkeypatch.delenv("SUPPORTFLOW_MODEL_ID", raising=False)
    runtime = LocalRuntime(serve_http=False)
    assert runtime.context["model_id"] == "none"
    assert "core" not in runtime.mock_config()


def test_one_setting_points_the_local_agents_at_real_bedrock(monkeypatch):
    monkeypatch.setenv("SUPPORTFLOW_MODEL_ID", "us.anthropic.claude-sonnet-4-6")
    runtime = LocalRuntime(serve_http=False)
    assert runtime.context["model_id"] == "us.anthropic.claude-sonnet-4-6"
    core = runtime.mock_config()["core"]
    assert core["passthrough"] == {"services": ["bedrock-runtime"]}
    assert core["mock_credentials"] is False  # the user's own credentials sign the Bedrock calls
    assert runtime.mock_config()["stepfunctions"] == {"execute_state_machine": True}
