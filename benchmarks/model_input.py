"""Model input for the seed's story (analysis and plan), per request, with the scripted model.

Counts what each Bedrock request carries besides the tool schemas: the system prompt
and the messages, in characters (about four to a token). Run: `python -m benchmarks.model_input`.
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import make_ticket
from tests.scripted_model import ScriptedModel, tool_call
from ticketing.agents import analyst, planner

SEED = make_ticket("My internet connection keeps dropping every few minutes. It's affecting my work calls.")
TRIAGE: dict[str, Any] = {
    "category": "network",
    "severity": "medium",
    "summary": "Internet drops every few minutes",
    "signals": ["keeps dropping", "work calls"],
    "explanation": "Intermittent connectivity that interrupts work.",
}
PLAN: dict[str, Any] = {
    "steps": [
        {"action_id": "network.restart-router", "wording": "Restart your router"},
        {"action_id": "network.check-isp-outage", "wording": "We check your provider for an outage"},
    ],
    "customer_message": "We will restart your router and check for an outage.",
}


def main() -> int:
    triage = ScriptedModel([tool_call("TriageAnswer", TRIAGE)])
    analysis = analyst.analyze(SEED, triage, "scripted")
    planning = ScriptedModel([tool_call("PlanAnswer", PLAN)])
    planner.plan(SEED, analysis, planning, "scripted")
    total = 0
    print(f"{'step':10} {'request':>7} {'characters':>10} {'~tokens':>8}  tools")
    for step, model in (("analysis", triage), ("plan", planning)):
        for number, request in enumerate(model.requests, 1):
            chars = len(request.system_prompt or "") + len(json.dumps(request.messages, ensure_ascii=False))
            total += chars
            print(f"{step:10} {number:>7} {chars:>10} {chars // 4:>8}  {', '.join(request.tool_names)}")
    requests = len(triage.requests) + len(planning.requests)
    print(f"{'total':10} {requests:>7} {total:>10} {total // 4:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
