"""The whole workflow on the local stack with agents on: a scripted model stands in for Bedrock.

The stack is started as a user with SUPPORTFLOW_MODEL_ID would start it (a model id
in the context, moto passing bedrock-runtime through); only the model object is
replaced, so the agents, the checkpoints, the approval and the conversation all run
for real over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_runtime.http_client import ApiClient
from local_runtime.runtime import LocalRuntime
from ticketing.bootstrap import AwsServices

from ..scripted_model import ScriptedModel, text, tool_call
from .conftest import submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow

MODEL = ScriptedModel([])
TRIAGE = {
    "category": "network",
    "severity": "medium",
    "summary": "Wi-Fi drops every few minutes.",
    "signals": ["wifi keeps dropping", "every few minutes"],
    "explanation": "Repeated wireless drops are a network problem that hinders work.",
}
PLAN = {
    "steps": [
        {"action_id": "network.restart-router", "wording": "Restart the office router the laptop uses."},
        {"action_id": "network.reset-adapter", "wording": "Reset the laptop's wireless adapter."},
    ],
    "customer_message": "We will restart your router and reset your Wi-Fi adapter once approved.",
}
ANSWER = "We were fixing your Wi-Fi that drops every few minutes; two steps wait for the approver."


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto stops faking credentials when a model is set
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setattr(AwsServices, "language_model", property(lambda _: MODEL))
        with LocalRuntime(context={"model_id": "scripted.local-model"}) as runtime:
            yield runtime


@pytest.fixture
def api(stack: LocalRuntime) -> ApiClient:
    return ApiClient(stack.base_url)


def test_agents_analyse_plan_and_answer_on_the_local_stack(api, stack):
    assert stack.environment["MODEL_ID"] == "scripted.local-model"
    MODEL.script[:] = [
        tool_call("TriageAnswer", TRIAGE),
        tool_call("PlanAnswer", PLAN),
        text(ANSWER),
    ]
    ticket_id, link = submit_and_wait_for_link(api)
    view = api.ticket(ticket_id).json()
    analysis, plan = view["analysis"], view["plan"]
    assert (analysis["source"], plan["source"]) == ("model", "model")
    assert [s["action_id"] for s in plan["steps"]] == ["network.restart-router", "network.reset-adapter"]
    assert analysis["provenance"]["model_calls"] + plan["provenance"]["model_calls"] == 2
    assert analysis["provenance"]["model_id"] == "scripted.local-model"
    page = api.open_page(link)
    assert "The assistant's note (model-written): Restart the office router the laptop uses." in page.text

    reply = api.message(ticket_id, "What was the issue we were working on?").json()
    assert (reply["source"], reply["reply"]["text"], reply["state"]) == ("model", ANSWER, "AWAITING_APPROVAL")
    assert "AWAITING_APPROVAL" in MODEL.requests[-1].messages[-1]["content"][0]["text"]  # the facts block

    assert api.post_decision(link, "approve", "ok").status == 200
    done = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert [r["action_id"] for r in done["step_results"]] == ["network.restart-router", "network.reset-adapter"]
    assert MODEL.script == []
    turns = api.conversation(ticket_id).json()["turns"]
    assert [(t["role"], t["text"]) for t in turns][-1] == ("ASSISTANT", ANSWER)
