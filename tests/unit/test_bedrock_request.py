"""What `BedrockModel` would send to Bedrock for each agent, captured before any network I/O.

botocore validates the request against the bedrock-runtime service model and
serializes it; a `before-call` hook then records it and refuses to send, so the
agents also show that an unreachable Bedrock falls back to the rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import make_ticket
from ticketing.agents import analyst, bedrock, planner
from ticketing.agents.bedrock import bedrock_model
from ticketing.domain.triage import analyze_ticket

MODEL_ID = "us.anthropic.claude-sonnet-4-6"
TICKET = make_ticket("The VPN disconnects every time I join a video call.")


class NoNetwork(Exception):
    pass


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bedrock_model.cache_clear()
    model = bedrock_model(MODEL_ID, "us-east-1")
    requests: list[dict[str, Any]] = []

    def refuse(params: dict[str, Any], **_: Any) -> None:
        requests.append({"url": params["url_path"], "body": json.loads(params["body"])})
        raise NoNetwork("tests never reach Bedrock")

    model.client.meta.events.register("before-call.bedrock-runtime.ConverseStream", refuse)
    yield model, requests
    bedrock_model.cache_clear()


def test_triage_request_names_the_model_the_system_prompt_and_the_answer_tool(captured):
    model, requests = captured
    analysis = analyst.analyze(TICKET, model, MODEL_ID)
    [request] = requests
    assert request["url"] == f"/model/{MODEL_ID}/converse-stream"
    body = request["body"]
    assert body["system"][0]["text"] == analyst.SYSTEM_PROMPT
    [tool] = body["toolConfig"]["tools"]
    assert tool["toolSpec"]["name"] == "TriageAnswer"
    schema = tool["toolSpec"]["inputSchema"]["json"]
    assert set(schema["required"]) >= {"category", "severity", "summary", "signals", "explanation"}
    assert "VPN disconnects" in body["messages"][0]["content"][0]["text"]
    assert body["inferenceConfig"] == {"maxTokens": bedrock.MAX_OUTPUT_TOKENS, "temperature": 0.0}
    # Bedrock unreachable: the rules answered, and the checkpointed analysis says why.
    assert analysis.source == "rules"
    assert analysis.category == analyze_ticket(TICKET).category
    assert "NoNetwork" in analysis.provenance.fallback_reason


def test_planning_request_carries_the_allowed_actions_in_its_prompt_and_offers_only_the_plan_tool(captured):
    model, requests = captured
    plan = planner.plan(TICKET, analyze_ticket(TICKET), model, MODEL_ID)
    [request] = requests
    body = request["body"]
    assert body["system"][0]["text"] == planner.SYSTEM_PROMPT
    specs = {t["toolSpec"]["name"]: t["toolSpec"] for t in body["toolConfig"]["tools"] if "toolSpec" in t}
    assert set(specs) == {"PlanAnswer"}
    prompt = body["messages"][0]["content"][0]["text"]
    assert "<catalog>" in prompt and "network.restart-router" in prompt
    assert plan.source == "catalog" and plan.provenance.model_calls == 1


def test_each_bedrock_request_has_bounded_time_and_retries(captured):
    model, _ = captured
    config = model.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (
        bedrock.CONNECT_TIMEOUT_SECONDS,
        bedrock.READ_TIMEOUT_SECONDS,
    )
    assert config.retries == {"mode": "standard", "total_max_attempts": bedrock.MAX_ATTEMPTS}
    assert model.config["model_id"] == MODEL_ID


def test_one_model_per_process_is_shared_by_every_services_instance(monkeypatch):
    from ticketing.bootstrap import AwsServices
    from ticketing.settings import Settings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bedrock_model.cache_clear()
    settings = Settings.from_env({"MEMORY_ID": "m", "MODEL_ID": MODEL_ID})
    try:
        first, second = AwsServices(settings).language_model, AwsServices(settings).language_model
        assert first is second and first.config["model_id"] == MODEL_ID
    finally:
        bedrock_model.cache_clear()
