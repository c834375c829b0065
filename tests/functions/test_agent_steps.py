"""The agent steps on moto: what the model answered (or why the rules did) lands in the checkpoints."""

from __future__ import annotations

from ticketing.domain.models import TicketState
from ticketing.domain.payloads import AnalyzeInput, FindResolutionInput, RequestApprovalInput
from ticketing.logic import steps

from ..conftest import make_ticket
from ..scripted_model import USAGE, ScriptedModel, fail, tool_call

TICKET = make_ticket("The VPN disconnects every time I join a video call.")
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:tickets:" + TICKET.ticket_id
BASE = {"ticket": TICKET.model_dump(mode="json"), "execution_id": EXECUTION}
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


def run_workflow_steps(svc, model: ScriptedModel):
    svc.language_model = model
    analysis = steps.analyze(svc, AnalyzeInput.model_validate(BASE))
    plan = steps.find_resolution(svc, FindResolutionInput.model_validate({**BASE, "analysis": analysis}))
    steps.request_approval(
        svc, RequestApprovalInput.model_validate({**BASE, "analysis": analysis, "plan": plan, "task_token": "tt"})
    )
    return svc.checkpoints.latest(TICKET.ticket_id, TICKET.customer_id)


def test_the_checkpoint_records_the_model_answers_and_their_token_usage(svc):
    model = ScriptedModel(
        [
            tool_call("TriageAnswer", TRIAGE),
            tool_call("resolution_catalog", {"category": "network"}),
            tool_call("PlanAnswer", PLAN),
        ]
    )
    latest = run_workflow_steps(svc, model)
    assert latest.state is TicketState.AWAITING_APPROVAL
    analysis, plan = latest.data.analysis, latest.data.plan
    assert (analysis.source, plan.source) == ("model", "model")
    assert [s.action_id for s in plan.steps] == ["network.reset-adapter", "network.check-isp-outage"]
    assert latest.data.plan_hash == plan.plan_hash
    calls = analysis.provenance.model_calls + plan.provenance.model_calls
    requests = analysis.provenance.model_requests + plan.provenance.model_requests
    tokens = analysis.provenance.input_tokens + plan.provenance.input_tokens
    assert (calls, requests, tokens) == (2, 3, 3 * USAGE["inputTokens"])


def test_the_checkpoint_says_why_the_rules_and_the_catalog_answered(svc):
    model = ScriptedModel(
        [
            fail(RuntimeError("AccessDeniedException: not authorized to invoke the model")),
            tool_call("PlanAnswer", {**PLAN, "steps": [{"action_id": "network.flash-router", "wording": "x"}]}),
        ]
    )
    latest = run_workflow_steps(svc, model)
    analysis, plan = latest.data.analysis, latest.data.plan
    assert (analysis.source, plan.source) == ("rules", "catalog")
    assert "AccessDeniedException" in analysis.provenance.fallback_reason
    assert "outside the catalog: network.flash-router" in plan.provenance.fallback_reason
    assert "network.flash-router" not in {s.action_id for s in plan.steps}
