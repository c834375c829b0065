"""The agent steps on the fakes: what the model answered (or why the rules did) lands in the checkpoints."""

from __future__ import annotations

from tests.conftest import make_ticket
from tests.fakes import FakeServices
from tests.journey import await_approval, latest
from tests.scripted_model import USAGE, ScriptedModel, fail, tool_call
from ticketing.domain.checkpoint import Checkpoint
from ticketing.domain.models import TicketState

TICKET = make_ticket("The VPN disconnects every time I join a video call.")
TRIAGE = {
    "category": "network",
    "severity": "medium",
    "summary": "The VPN drops during video calls.",
    "signals": ["VPN disconnects", "video call"],
    "explanation": "A VPN tunnel that drops under load is a network issue that hinders work.",
}
PLAN = {
    "steps": [
        {"action_id": "network.reset-adapter", "wording": "Reset the adapter your VPN runs over."},
        {"action_id": "network.check-isp-outage", "wording": "Rule out your provider."},
    ],
    "customer_message": "We will reset your network adapter and check your provider once approved.",
}


def awaiting_approval_with(model: ScriptedModel) -> Checkpoint:
    services = FakeServices(language_model=model)
    await_approval(services, TICKET, start=False)
    return latest(services, TICKET)


def test_the_checkpoint_records_the_model_answers_and_their_token_usage() -> None:
    model = ScriptedModel(
        [
            tool_call("TriageAnswer", TRIAGE),
            tool_call("PlanAnswer", PLAN),
        ]
    )
    waiting = awaiting_approval_with(model)
    assert waiting.state is TicketState.AWAITING_APPROVAL
    analysis, plan = waiting.data.analysis, waiting.data.plan
    assert analysis is not None and plan is not None
    assert (analysis.source, plan.source) == ("model", "model")
    assert [s.action_id for s in plan.steps] == ["network.reset-adapter", "network.check-isp-outage"]
    assert waiting.data.plan_hash == plan.plan_hash
    calls = analysis.provenance.model_calls + plan.provenance.model_calls
    requests = analysis.provenance.model_requests + plan.provenance.model_requests
    tokens = analysis.provenance.input_tokens + plan.provenance.input_tokens
    assert (calls, requests, tokens) == (2, 2, 2 * USAGE["inputTokens"])  # one request each: analysis, plan


def test_the_checkpoint_says_why_the_rules_and_the_catalog_answered() -> None:
    model = ScriptedModel(
        [
            fail(RuntimeError("AccessDeniedException: not authorized to invoke the model")),
            tool_call("PlanAnswer", {**PLAN, "steps": [{"action_id": "network.flash-router", "wording": "x"}]}),
        ]
    )
    waiting = awaiting_approval_with(model)
    analysis, plan = waiting.data.analysis, waiting.data.plan
    assert analysis is not None and plan is not None
    assert (analysis.source, plan.source) == ("rules", "catalog")
    assert "AccessDeniedException" in analysis.provenance.fallback_reason
    assert "outside the catalog: network.flash-router" in plan.provenance.fallback_reason
    assert "network.flash-router" not in {s.action_id for s in plan.steps}
