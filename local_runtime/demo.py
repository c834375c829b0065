"""`supportflow demo`: the seed's story, end to end, printed as it happens.

Ticket 1's approver drops one proposed step before approving (the rest runs, in
order); ticket 2's approver rejects with a reason the customer is told.

Everything goes through the same doors a person would use: the API over HTTP,
the approval email from the outbox, the link in it (GET the page, then POST the
decision), and the ticket's status over HTTP.
"""

from __future__ import annotations

import re
import textwrap
import time
from datetime import datetime
from typing import Any

from ticketing.domain.models import ResolutionPlan

from .http_client import ApiClient, approval_link
from .runtime import LocalRuntime

INTERNET_TICKET = {
    "customer_id": "cust-1001",
    "customer_email": "alex@example.com",
    "subject": "",
    "description": "My internet connection keeps dropping every few minutes. It's affecting my work calls.",
}
LOGIN_TICKET = {
    "customer_id": "cust-2002",
    "customer_email": "sam@example.com",
    "subject": "",
    "description": "I can't log in to the app since this morning; it says my password is wrong.",
}
RECOVERY_QUESTION = "What was the issue we were working on?"
# Ticket 1's approver drops one proposed step before approving: the customer's calls run over a company VPN.
DROPPED_STEP = "network.reset-adapter"
WHY_DROPPED = (
    "resetting the adapter would wipe the VPN profile the customer's work calls depend on, "
    "and the router restart tests the same thing without that cost"
)
REJECTION_REASON = "Account changes need a call with the customer first."


class Story:
    def __init__(self, runtime: LocalRuntime, out: Any = print) -> None:
        self.rt = runtime
        self.api = ApiClient(runtime.base_url)
        self.say = out
        self.t0 = time.perf_counter()
        self.seen: set[tuple[str, int]] = set()
        self.ticket_ids: list[str] = []

    def step(self, text: str) -> None:
        self.say(f"[{time.perf_counter() - self.t0:6.2f}s] {text}")

    def follow_until(self, ticket_id: str, states: set[str], timeout: float = 30.0) -> dict[str, Any]:
        """Poll the ticket over HTTP, printing each state it passes through."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.api.ticket(ticket_id).json()
            for checkpoint in view["checkpoints"]:
                key = (ticket_id, checkpoint["sequence"])
                if key not in self.seen:
                    self.seen.add(key)
                    self.step(f"    checkpoint #{checkpoint['sequence']} saved: {_checkpoint_summary(checkpoint)}")
            if view["state"] in states:
                return dict(view)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{ticket_id} stayed {view['state']}")
            time.sleep(0.05)

    def approval_email(self, ticket_id: str) -> dict[str, Any]:
        for _ in range(400):
            for email in self.api.outbox():
                if ticket_id in email["subject"] and email["kind"] == "approval-request":
                    return email
            time.sleep(0.05)
        raise TimeoutError(f"no approval email for {ticket_id}")

    def run_ticket(
        self,
        ticket: dict[str, Any],
        decision: str,
        comment: str,
        *,
        drop: tuple[str, str] | None = None,
        reason: str = "",
    ) -> dict[str, Any]:
        """Walk one ticket to its end; `drop` is (action id, why) for a step the approver removes."""
        self.step(f'Customer {ticket["customer_id"]} submits over HTTP: "{ticket["description"]}"')
        reply = self.api.submit(ticket)
        accepted = reply.json()
        ticket_id = accepted["ticket_id"]
        self.ticket_ids.append(ticket_id)
        self.step(f"POST /tickets -> {reply.status} {accepted['state']}, ticket {ticket_id}")

        view = self.follow_until(ticket_id, {"AWAITING_APPROVAL", "FAILED"})
        analysis, plan = view["analysis"], view["plan"]
        self.step(f"Analysis: category {analysis['category']}, severity {analysis['severity']} ({analysis['source']})")
        self.say(f"           {analysis['explanation']}")
        self.step("Proposed resolution:")
        for i, s in enumerate(plan["steps"], 1):
            self.say(f"           {i}. {s['title']}  [{s['action_id']}]")
            if s.get("note"):
                self.say(f"              {s['note']}")
        self.say(f"           {_answered_by(analysis, plan)}")
        self.say(f"           plan hash {view['plan_hash'][:16]}…")

        email = self.approval_email(ticket_id)
        link = approval_link(email)
        self.step(f'Approval email to {", ".join(email["to"])}: "{email["subject"]}"')
        self.say(f"           link: {link[:100]}…")

        page = self.api.open_page(link)
        still = self.api.ticket(ticket_id).json()["state"]
        self.step(f"Approver opens the link: GET -> {page.status}, page shows the plan; ticket still {still}")
        steps = None
        if drop is not None:
            dropped, why = drop
            steps = [s["action_id"] for s in plan["steps"] if s["action_id"] != dropped]
            self.step(f"Approver drops [{dropped}] before approving: {why}")
        if reason:
            self.step(f'Approver gives the reason, for the customer too: "{reason}"')
        answer = self.api.post_decision(
            link, decision, comment, steps=steps, reason=reason or None, notify_customer=bool(reason)
        )
        self.step(f"Approver clicks {decision.capitalize()}: POST -> {answer.status}")
        again = self.api.post_decision(link, "approve" if decision == "reject" else "reject", accept="application/json")
        self.step(f"A second click on the same link: POST -> {again.status} {again.json()['message']}")

        final = self.follow_until(ticket_id, {"COMPLETED", "REJECTED", "FAILED", "EXPIRED"})
        decided = final["decision"]
        if decided and decided["outcome"] == "approved":
            self.print_edit(final)
            approved = decided["plan_hash"]
            verdict = "matches" if approved == _plan_hash(final["approved_plan"]) else "DOES NOT MATCH"
            self.step(
                f"Workflow resumed: Execute resolution loaded the latest checkpoint; approved plan hash "
                f"{approved[:16]}… {verdict} the approved plan; ran {len(final['step_results'])} steps:"
            )
        for result in final["step_results"]:
            self.step(f"    {result['action_id']}: {result['status']} ({result['detail']})")
        if decided and decided["outcome"] == "rejected":
            self.step(f'REJECTED holds the reason: "{decided["reason"]}"')
        self.print_customer_emails(ticket_id, ticket["customer_email"])
        self.step(f"Ticket {ticket_id} ended {final['state']}")
        self.print_trail(ticket_id, final)
        return final

    def print_edit(self, view: dict[str, Any]) -> None:
        """The proposed plan beside the approved one, and what the approver changed."""
        proposed = [s["action_id"] for s in view["plan"]["steps"]]
        approved = [s["action_id"] for s in view["approved_plan"]["steps"]]
        self.step("Proposed plan vs approved plan (GET /tickets: plan, approved_plan):")
        width = max(len(a) for a in proposed) + 4
        for i in range(max(len(proposed), len(approved))):
            left = f"{i + 1}. {proposed[i]}" if i < len(proposed) else ""
            right = f"{i + 1}. {approved[i]}" if i < len(approved) else ""
            self.say(f"           {left:<{width}} {right}")
        changes = view["rounds"][-1]["changes"]
        said = "; ".join(f"{kind} {', '.join(ids)}" for kind, ids in changes.items() if ids) or "none"
        self.say(f"           changes (round {view['rounds'][-1]['number']}): {said}")

    def print_customer_emails(self, ticket_id: str, customer_email: str) -> None:
        """What the customer was told: the steps (approved, completed) or the rejection's reason."""
        for email in self.api.outbox():
            if ticket_id in email["subject"] and email["to"] == [customer_email]:
                lines = [line.strip() for line in email["text"].splitlines()]
                told = [line for line in lines if re.match(r"\d+\. ", line) or line.startswith("The reviewer")]
                self.say(f'           email to the customer ({email["kind"]}): "{email["subject"]}"')
                for line in told:
                    self.say(f"             {textwrap.shorten(line, 110)}")

    def ask(self, ticket_id: str, question: str) -> str:
        """The seed's recovery step: a customer asks, a fresh agent answers from memory alone."""
        self.step(f'Customer asks over HTTP: "{question}"')
        reply = self.api.message(ticket_id, question)
        answer = reply.json()
        how = "model" if answer["source"] == "model" else f"template; {answer['fallback_reason']}"
        self.step(f"POST /tickets/{ticket_id}/messages -> {reply.status}, answered by a fresh agent ({how}):")
        for line in textwrap.wrap(answer["reply"]["text"], 100):
            self.say(f"           {line}")
        turns = self.api.conversation(ticket_id).json()["turns"]
        self.step(f"GET /tickets/{ticket_id}/conversation -> {len(turns)} turns in AgentCore Memory")
        return str(answer["reply"]["text"])

    def print_trail(self, ticket_id: str, view: dict[str, Any]) -> None:
        self.say("           Checkpoint trail (AgentCore Memory):")
        for c in view["checkpoints"]:
            self.say(f"             #{c['sequence']:<2} {_checkpoint_summary(c):<58} {c['created_at']}")
        self.say("           Step Functions execution history:")
        events = self.rt.history(ticket_id)
        start: datetime = events[0]["timestamp"]
        entered: dict[str, datetime] = {}
        for event in events:
            details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails")
            if not details:
                continue
            name = details["name"]
            if event["type"].endswith("StateEntered"):
                entered[name] = event["timestamp"]
            else:
                took = (event["timestamp"] - entered.get(name, event["timestamp"])).total_seconds() * 1000
                at = (entered.get(name, start) - start).total_seconds() * 1000
                self.say(f"             +{at:8.1f} ms  {name:<20} {took:8.1f} ms")
        self.say(f"             execution: {events[-1]['type']}")


def _plan_hash(plan: dict[str, Any]) -> str:
    """The hash of a plan as GET /tickets shows it (what an approver approves)."""
    return ResolutionPlan.model_validate(plan).plan_hash


def _answered_by(analysis: dict[str, Any], plan: dict[str, Any]) -> str:
    calls = analysis["provenance"]["model_calls"] + plan["provenance"]["model_calls"]
    reasons = {analysis["provenance"]["fallback_reason"], plan["provenance"]["fallback_reason"]} - {""}
    why = f" ({'; '.join(sorted(reasons))})" if reasons else ""
    return f"answered by: analysis {analysis['source']}, plan {plan['source']}; model calls {calls} of at most 2{why}"


def _checkpoint_summary(checkpoint: dict[str, Any]) -> str:
    note = checkpoint.get("note")
    return f"{checkpoint['state']} ({note})" if note else str(checkpoint["state"])


def run_demo(out: Any = print) -> int:
    out("supportflow demo: the ticket workflow on this machine (moto, no AWS account)")
    started = time.perf_counter()
    with LocalRuntime() as runtime:
        out(f"Local stack up in {time.perf_counter() - started:.1f}s at {runtime.base_url}\n")
        story = Story(runtime, out)
        out("=== Ticket 1: approved with one step dropped ===")
        first = story.run_ticket(INTERNET_TICKET, "approve", "Go ahead.", drop=(DROPPED_STEP, WHY_DROPPED))
        out("\n=== Ticket 2: rejected with a reason ===")
        second = story.run_ticket(LOGIN_TICKET, "reject", "Call first.", reason=REJECTION_REASON)
        ran = [r["action_id"] for r in first["step_results"]]
        outcome_ok = (
            first["state"] == "COMPLETED"
            and bool(ran)
            and DROPPED_STEP not in ran
            and second["state"] == "REJECTED"
            and second["decision"]["reason"] == REJECTION_REASON
        )
        verdict = "OK" if outcome_ok else "WRONG"
        dropped = "not run" if DROPPED_STEP not in ran else "RUN"
        out(
            f"\nTicket 1 {first['state']} (expected COMPLETED, {DROPPED_STEP} {dropped}), "
            f"ticket 2 {second['state']} (expected REJECTED, with its reason): {verdict}"
        )
        out(f"Outbox: {len(runtime.outbox.emails())} emails sent.")
        out("\n=== Recovery: the customer of ticket 1 comes back; a fresh agent knows only what memory holds ===")
        story.ask(story.ticket_ids[0], RECOVERY_QUESTION)
    return 0 if outcome_ok else 1
