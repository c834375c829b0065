"""`supportflow demo`: the seed's story, end to end, printed as it happens, under `policies/example.yaml`.

Ticket 1 (network) goes to the two support leads; one of them drops a proposed step
and approves, which decides (the rest runs, in order). Ticket 2 (a login problem, an
account ticket) needs two account admins: the first approval waits ("1 of 2"), the
same admin again is refused, the second approval runs the plan. Ticket 3 (another
account ticket) is rejected by one admin with a reason the customer is told. The customer
confirms (customer_confirmation on): ticket 1's customer clicks "Yes, it works" and it ends
CLOSED; ticket 2's customer says "No, it still happens", so it reopens, both admins approve a
second plan, and the customer's "Yes" closes it.

Everything goes through the same doors a person would use: the API over HTTP,
the approval emails from the outbox, the links in them (GET the page, then POST the
decision), and the ticket's status over HTTP.
"""

from __future__ import annotations

import re
import textwrap
import time
from typing import Any
from urllib.parse import unquote, urlencode

from infra.config import load_policy
from ticketing.domain.catalog import load_catalog
from ticketing.domain.models import Category, ResolutionPlan, Severity
from ticketing.domain.policy import ApprovalPolicy, PolicyRule

from .console.history import checkpoint_summary, trace, trail_lines
from .customer_systems import Customer, CustomerSystems
from .http_client import ApiClient, Reply, approval_link
from .runtime import LocalRuntime

# The policy the demo runs under (relative to the repository): account tickets need two account admins.
POLICY = "policies/example.yaml"
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
LOCKED_TICKET = {
    "customer_id": "cust-3003",
    "customer_email": "robin@example.com",
    "subject": "",
    "description": "My account is locked after too many sign-in attempts. Please unlock it and reset my password.",
}
RECOVERY_QUESTION = "What was the issue we were working on?"
# Ticket 1's approver drops one proposed step before approving: the customer's calls run over a company VPN.
DROPPED_STEP = "network.reset-adapter"
WHY_DROPPED = (
    "resetting the adapter would wipe the VPN profile the customer's work calls depend on, "
    "and the router restart tests the same thing without that cost"
)
REJECTION_REASON = "Account changes need a call with the customer first."
REOPEN_COMMENT = "I still cannot sign in: the reset email never arrived."
CONFIRMATION_LINK = re.compile(r"https?://\S+/confirmations/\S+")
DEMO_TICKETS = (INTERNET_TICKET, LOGIN_TICKET, LOCKED_TICKET)


class Story:
    def __init__(self, runtime: LocalRuntime, policy: ApprovalPolicy, out: Any = print) -> None:
        self.rt = runtime
        self.api = ApiClient(runtime.base_url)
        self.policy = policy
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
                    self.step(f"    checkpoint #{checkpoint['sequence']} saved: {checkpoint_summary(checkpoint)}")
            if view["state"] in states:
                return dict(view)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{ticket_id} stayed {view['state']}")
            time.sleep(0.05)

    def state(self, ticket_id: str) -> str:
        return str(self.api.ticket(ticket_id).json()["state"])

    def propose(self, ticket: dict[str, Any]) -> tuple[str, dict[str, Any], PolicyRule]:
        """Submit the ticket and follow it to its approval request; the policy rule that routes it."""
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
        catalog = load_catalog()
        proposed = ResolutionPlan.model_validate(plan)
        risk = catalog.plan_risk(proposed)
        riskiest = next(catalog.risks()[a] for a in proposed.action_ids if catalog.risks()[a].risk == risk)
        rule = self.policy.rule_for(Category(analysis["category"]), Severity(analysis["severity"]), risk)
        self.step(
            f"Plan risk {risk.value} (its riskiest action, [{riskiest.action_id}]: {riskiest.risk_reason.rstrip('.')})"
        )
        needs = "one approval decides" if rule.approvals == 1 else f"{rule.approvals} distinct approvals needed"
        self.step(f"Policy {POLICY}: first matching rule '{rule.name}' -> group {rule.group}, {needs}")
        return ticket_id, view, rule

    def approval_links(self, ticket_id: str, rule: PolicyRule, cycle: int = 1) -> dict[str, str]:
        """Each approver the rule's group names gets an email with a link of their own (the newest: a reopened
        ticket's `cycle` 2 asks again)."""
        members = self.policy.members(rule.group)
        for _ in range(400):
            emails = [e for e in self.api.outbox() if ticket_id in e["subject"] and e["kind"] == "approval-request"]
            links = {e["to"][0]: approval_link(e) for e in emails}
            if set(links) >= set(members) and len(emails) >= cycle * len(members):
                break
            time.sleep(0.05)
        else:
            raise TimeoutError(f"approval emails for {ticket_id} reached {sorted(links)}, not {members}")
        self.step(f'{len(emails)} approval emails, one per approver: "{emails[0]["subject"]}"')
        for approver in members:
            self.say(f"           to {approver}: {links[approver][:90]}…")
        return links

    def open_link(self, ticket_id: str, who: str, link: str) -> None:
        page = self.api.open_page(link)
        still = self.state(ticket_id)
        self.step(f"{who} opens their link: GET -> {page.status}, page shows the plan; ticket still {still}")

    def click(self, who: str, link: str, decision: str, what: str = "", **fields: Any) -> Reply:
        """`who` posts `decision` through their link (as JSON, to read the answer's counts) and says what came back."""
        answer = self.api.post_decision(link, decision, accept="application/json", **fields)
        body = answer.json()
        if answer.status != 200:
            said = body["message"]
        elif body["decision"] is None:
            said = f"vote recorded, {body['approvals']} of {body['approvals_needed']} approvals; still waiting"
        else:
            decided = body["decision"]
            said = f"decided: {decided['outcome']} by {decided['decided_by']}"
            if body["approvals_needed"] > 1 and decided["outcome"] == "approved":
                said += f" ({body['approvals']} of {body['approvals_needed']} approvals)"
        self.step(f"{who} clicks {what or decision.capitalize()}: POST -> {answer.status} {said}")
        return answer

    def finish(self, ticket_id: str, ticket: dict[str, Any]) -> dict[str, Any]:
        """Follow the ticket to its end and print what ran, what the customer was told, and the trails."""
        # The demo runs with the customer's confirmation on: COMPLETED is the moment before the question is asked.
        final = self.follow_until(ticket_id, {"AWAITING_CONFIRMATION", "REJECTED", "FAILED", "EXPIRED"})
        decided = final["decision"]
        if decided and decided["votes"]:
            said = "; ".join(f"{v['approver']} {v['outcome']}" for v in decided["votes"])
            votes = f"{len(decided['votes'])} vote{'s' if len(decided['votes']) > 1 else ''}"
            self.step(f"The decision rests on {votes} (AgentCore Memory events, one per approver): {said}")
        if decided and decided["outcome"] == "approved":
            self.print_edit(final)
            approved = decided["plan_hash"]
            verdict = "matches" if approved == _plan_hash(final["approved_plan"]) else "DOES NOT MATCH"
            self.step(
                f"Workflow resumed: Execute resolution loaded the latest checkpoint; approved plan hash "
                f"{approved[:16]}… {verdict} the approved plan; ran {len(final['step_results'])} steps:"
            )
        for result in final["step_results"]:
            by = result.get("executor") or "simulated"
            self.step(f"    {result['action_id']}: {result['status']} by the {by} executor ({result['detail']})")
        if decided and decided["outcome"] == "rejected":
            self.step(f'REJECTED holds the reason: "{decided["reason"]}"')
        self.print_customer_emails(ticket_id, ticket["customer_email"])
        ended = "is" if final["state"] == "AWAITING_CONFIRMATION" else "ended"
        self.step(f"Ticket {ticket_id} {ended} {final['state']}")
        self.print_trail(ticket_id, final)
        return final

    def confirm(self, ticket_id: str, customer: str, answer: str, comment: str) -> dict[str, Any]:
        """The customer's "Is your issue resolved?" email: open the link (GET), then answer (POST)."""
        asked = len(self.api.ticket(ticket_id).json()["answers"]) + 1
        for _ in range(400):
            emails = [e for e in self.api.outbox() if ticket_id in e["subject"] and e["kind"] == "confirmation"]
            if len(emails) >= asked:
                break
            time.sleep(0.05)
        else:
            raise TimeoutError(f"no confirmation email for {ticket_id}")
        link = CONFIRMATION_LINK.search(emails[asked - 1]["text"])
        assert link is not None
        self.step(f'Email to the customer: "{emails[asked - 1]["subject"]}" with {link.group(0)[:80]}…')
        page = self.api.open_page(link.group(0))
        self.step(
            f"{customer} opens it: GET -> {page.status}, the steps that ran; ticket still {self.state(ticket_id)}"
        )
        url, token = link.group(0).split("?token=", 1)
        form = urlencode({"token": unquote(token), "answer": answer, "comment": comment}).encode()
        reply = self.api.request(
            "POST", url, form, {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        )
        said = "Yes, it works" if answer == "yes" else "No, it still happens"
        self.step(f'{customer} clicks "{said}" with "{comment}": POST -> {reply.status}')
        again = self.api.request(
            "POST", url, form, {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        )
        self.step(f"The same click again: POST -> {again.status} {again.json().get('error', '')}")
        final = self.follow_until(ticket_id, {"CLOSED", "ESCALATED", "AWAITING_APPROVAL", "FAILED"})
        if final["closing_note"]:
            self.step(f"Ticket {ticket_id} ended {final['state']}: {final['closing_note']}")
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
        executions = [trace(ticket_id, view["workflow"]["status"], self.rt.history(ticket_id))]
        for line in trail_lines(view["checkpoints"], executions):
            self.say(f"           {line}")


def _plan_hash(plan: dict[str, Any]) -> str:
    """The hash of a plan as GET /tickets shows it (what an approver approves)."""
    return ResolutionPlan.model_validate(plan).plan_hash


def _answered_by(analysis: dict[str, Any], plan: dict[str, Any]) -> str:
    calls = analysis["provenance"]["model_calls"] + plan["provenance"]["model_calls"]
    reasons = {analysis["provenance"]["fallback_reason"], plan["provenance"]["fallback_reason"]} - {""}
    why = f" ({'; '.join(sorted(reasons))})" if reasons else ""
    return f"answered by: analysis {analysis['source']}, plan {plan['source']}; model calls {calls} of at most 2{why}"


def _ticket_one(story: Story) -> dict[str, Any]:
    """Two support leads asked; one drops a step and approves, which decides."""
    ticket_id, view, rule = story.propose(INTERNET_TICKET)
    links = story.approval_links(ticket_id, rule)
    lead, other = story.policy.members(rule.group)[:2]
    story.open_link(ticket_id, lead, links[lead])
    steps = [s["action_id"] for s in view["plan"]["steps"] if s["action_id"] != DROPPED_STEP]
    story.step(f"{lead} drops [{DROPPED_STEP}] before approving: {WHY_DROPPED}")
    story.click(lead, links[lead], "approve", comment="Go ahead.", steps=steps)
    story.click(lead, links[lead], "approve", "Approve again (a second click on the same link)")
    story.click(other, links[other], "reject", "Reject on their own link, too late")
    story.finish(ticket_id, INTERNET_TICKET)
    return story.confirm(ticket_id, INTERNET_TICKET["customer_id"], "yes", "the connection seems stable now")


def _ticket_two(story: Story) -> tuple[dict[str, Any], list[Reply]]:
    """Two account admins must approve the same plan: the first waits, a repeat is refused, the second decides."""
    ticket_id, _, rule = story.propose(LOGIN_TICKET)
    links = story.approval_links(ticket_id, rule)
    first, second = story.policy.members(rule.group)[:2]
    story.open_link(ticket_id, first, links[first])
    clicks = [story.click(first, links[first], "approve", comment="Identity checked on the phone.")]
    story.step(f"Ticket still {story.state(ticket_id)}: the policy asks for a second admin")
    clicks.append(story.click(first, links[first], "approve", "Approve again"))
    story.open_link(ticket_id, second, links[second])
    clicks.append(story.click(second, links[second], "approve", comment="Agreed."))
    story.finish(ticket_id, LOGIN_TICKET)
    # The customer still cannot sign in: the ticket reopens, is analysed again with their words, and both
    # admins approve a second cycle's plan before the customer is asked again.
    story.confirm(ticket_id, LOGIN_TICKET["customer_id"], "no", REOPEN_COMMENT)
    links = story.approval_links(ticket_id, rule, cycle=2)
    story.click(first, links[first], "approve", "Approve the reopened ticket's plan")
    story.click(second, links[second], "approve", "Approve the reopened ticket's plan")
    story.finish(ticket_id, LOGIN_TICKET)
    return story.confirm(ticket_id, LOGIN_TICKET["customer_id"], "yes", "I can sign in now, thanks"), clicks


def _ticket_three(story: Story) -> dict[str, Any]:
    """One account admin rejects with a reason: one rejection decides, whatever the other would say."""
    ticket_id, _, rule = story.propose(LOCKED_TICKET)
    links = story.approval_links(ticket_id, rule)
    first, second = story.policy.members(rule.group)[:2]
    story.open_link(ticket_id, first, links[first])
    story.step(f'{first} gives the reason, for the customer too: "{REJECTION_REASON}"')
    story.click(first, links[first], "reject", reason=REJECTION_REASON, notify_customer=True)
    story.follow_until(ticket_id, {"REJECTED", "FAILED"})
    story.click(second, links[second], "approve", "Approve on their own link, after the rejection")
    return story.finish(ticket_id, LOCKED_TICKET)


def run_demo(out: Any = print) -> int:
    out(f"supportflow demo: the ticket workflow on this machine (moto, no AWS account), approval policy {POLICY}")
    policy = load_policy(POLICY)
    started = time.perf_counter()
    # The catalog's real executors run against moto: the customers have Cognito users and tagged instances.
    systems = CustomerSystems([Customer(t["customer_id"], t["customer_email"]) for t in DEMO_TICKETS])
    # The customer is asked "Is your issue resolved?" after the last step (off in the local runtime's defaults).
    context = {"approval_policy": POLICY, "resolution_executor": "catalog", "customer_confirmation": True}
    with LocalRuntime(context=context, emulations=[systems]) as runtime:
        out(f"Local stack up in {time.perf_counter() - started:.1f}s at {runtime.base_url}\n")
        story = Story(runtime, policy, out)
        out("=== Ticket 1: a support lead approves with one step dropped ===")
        first = _ticket_one(story)
        out("\n=== Ticket 2: an account ticket needs two account admins ===")
        second, clicks = _ticket_two(story)
        out("\n=== Ticket 3: one of two account admins rejects with a reason ===")
        third = _ticket_three(story)
        ran = [r["action_id"] for r in first["step_results"]]
        admins = set(policy.members("account-admins"))
        waited = clicks[0].json()
        two_of_two = (
            clicks[0].status == 200
            and waited["decision"] is None
            and (waited["approvals"], waited["approvals_needed"]) == (1, 2)
            and clicks[1].status == 409
            and clicks[2].status == 200
            and second["state"] == "CLOSED"
            and [a["outcome"] for a in second["answers"]] == ["reopened", "resolved"]
            and {v["approver"] for v in second["decision"]["votes"]} == admins
        )
        outcome_ok = (
            first["state"] == "CLOSED"
            and [a["outcome"] for a in first["answers"]] == ["resolved"]
            and bool(ran)
            and DROPPED_STEP not in ran
            and two_of_two
            and third["state"] == "REJECTED"
            and third["decision"]["reason"] == REJECTION_REASON
        )
        verdict = "OK" if outcome_ok else "WRONG"
        dropped = "not run" if DROPPED_STEP not in ran else "RUN"
        out(
            f"\nTicket 1 {first['state']} (expected CLOSED after 'Yes, it works', {DROPPED_STEP} {dropped}), "
            f"ticket 2 {second['state']} (expected CLOSED after 1 of 2 waited, a repeat vote got 409, "
            "2 of 2 approved, the customer reopened it and confirmed the second plan), "
            f"ticket 3 {third['state']} (expected REJECTED by one admin, with its reason): "
            f"{verdict}"
        )
        out(f"Outbox: {len(runtime.outbox.emails())} emails sent.")
        out("\n=== Recovery: the customer of ticket 1 comes back; a fresh agent knows only what memory holds ===")
        story.ask(story.ticket_ids[0], RECOVERY_QUESTION)
    return 0 if outcome_ok else 1
