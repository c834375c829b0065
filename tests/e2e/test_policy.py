"""Approval policies end to end over HTTP, under `policies/example.yaml`.

Account tickets need two approvals from `account-admins`; every other ticket one from
`support-leads`. Each approver gets an email and a link of their own; votes are AgentCore
Memory events written before the answer; Step Functions keeps the one resume.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local_runtime.http_client import ApiClient, Reply, approval_link
from local_runtime.runtime import LocalRuntime
from tests.figures import record

from .conftest import emails_for, in_parallel, wait_for_state

pytestmark = pytest.mark.slow

ADMINS = ("alex.admin@example.com", "sam.admin@example.com")
LEADS = ("lee.lead@example.com", "kim.lead@example.com")
ACCOUNT_ISSUE = "I can't log in to the app; it says my password is wrong."
NETWORK_ISSUE = "My wifi keeps dropping every few minutes."
RACES = 10


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    with LocalRuntime(context={"approval_policy": "policies/example.yaml"}) as runtime:
        yield runtime


def submit_and_collect_links(
    api: ApiClient, description: str, approvers: tuple[str, ...]
) -> tuple[str, dict[str, str]]:
    """Submit a ticket and wait for an approval email to each of `approvers`: their links, by address."""
    reply = api.submit({"customer_id": "cust-policy", "customer_email": "p@example.com", "description": description})
    assert reply.status == 202, reply.text
    ticket_id = reply.json()["ticket_id"]
    wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    deadline = time.monotonic() + 10
    while len(emails := emails_for(api, ticket_id, "approval-request")) < len(approvers):
        assert time.monotonic() < deadline, f"approval emails reached only {[e['to'] for e in emails]}"
        time.sleep(0.02)
    assert sorted(e["to"] for e in emails) == sorted([a] for a in approvers)  # one email each, to them alone
    return ticket_id, {e["to"][0]: approval_link(e) for e in emails}


def claims(link: str) -> dict[str, Any]:
    """The signed claims in a link's token (read, not verified: the API verifies them)."""
    payload = link.split("token=", 1)[1].split(".", 1)[0]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def vote(api: ApiClient, link: str, decision: str = "approve", **fields: Any) -> Reply:
    return api.post_decision(link, decision, accept="application/json", **fields)


def stored_votes(ticket_id: str) -> list[Any]:
    """The round's votes as AgentCore Memory holds them, read through the functions' own vote log."""
    from ticketing.bootstrap import aws_services  # imported once the stack set the functions' environment
    from ticketing.settings import Settings

    return list(aws_services(Settings.from_env()).votes.votes(ticket_id, "cust-policy", 1))


def entered(stack: LocalRuntime, ticket_id: str, state: str) -> int:
    return sum(
        1
        for e in stack.history(ticket_id)
        if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == state
    )


def test_approvals_of_different_edits_are_approvals_of_different_plans(api: ApiClient) -> None:
    ticket_id, links = submit_and_collect_links(api, ACCOUNT_ISSUE, ADMINS)
    alex, sam = ADMINS
    proposed = [s["action_id"] for s in api.ticket(ticket_id).json()["plan"]["steps"]]
    edited = vote(api, links[alex], steps=[a for a in proposed if a != "account.review-mfa"])
    assert edited.status == 200 and edited.json()["approvals"] == 1

    as_proposed = vote(api, links[sam])
    assert as_proposed.status == 200, as_proposed.text
    body = as_proposed.json()
    assert body["decision"] is None and (body["approvals"], body["approvals_needed"]) == (1, 2)
    assert edited.json()["vote"]["plan_hash"] != body["vote"]["plan_hash"]
    assert api.ticket(ticket_id).json()["state"] == "AWAITING_APPROVAL"  # nothing runs on split approvals


def race_approvals(api: ApiClient, links: dict[str, str]) -> dict[str, Reply]:
    """Every approver approves through their link, from threads released at once: their answers."""
    replies: dict[str, Reply] = {}
    lock = threading.Lock()
    start = threading.Barrier(len(links))

    def click(approver: str, link: str) -> None:
        start.wait()
        reply = vote(api, link)
        with lock:
            replies[approver] = reply

    clickers = [threading.Thread(target=click, args=item) for item in links.items()]
    for thread in clickers:
        thread.start()
    for thread in clickers:
        thread.join()
    return replies


def test_an_account_ticket_asks_each_account_admin_with_a_link_bound_to_them(api: ApiClient) -> None:
    ticket_id, links = submit_and_collect_links(api, ACCOUNT_ISSUE, ADMINS)
    assert {address: claims(link)["approver"] for address, link in links.items()} == {a: a for a in ADMINS}
    email = emails_for(api, ticket_id, "approval-request")[0]
    assert f"This plan needs 2 approvals from: {', '.join(ADMINS)}." in email["text"]
    vote(api, links[ADMINS[0]], "reject", reason="Not today.")  # close it


def test_two_account_admins_must_approve_the_same_plan(api: ApiClient, stack: LocalRuntime) -> None:
    ticket_id, links = submit_and_collect_links(api, ACCOUNT_ISSUE, ADMINS)
    alex, sam = ADMINS

    first = vote(api, links[alex], comment="Identity checked.")
    assert first.status == 200, first.text
    body = first.json()
    assert body["decision"] is None and (body["approvals"], body["approvals_needed"]) == (1, 2)
    assert body["vote"]["approver"] == alex and body["vote"]["outcome"] == "approved"
    waiting = api.ticket(ticket_id).json()
    assert waiting["state"] == "AWAITING_APPROVAL" and waiting["decision"] is None

    for decision in ("approve", "reject"):  # the same approver again, either way: 409, nothing changes
        again = vote(api, links[alex], decision)
        assert again.status == 409 and again.json()["error"] == "already_decided", again.text
        assert "You already approved this plan" in again.json()["message"]
    assert api.ticket(ticket_id).json()["checkpoints"] == waiting["checkpoints"]
    assert [v.approver for v in stored_votes(ticket_id)] == [alex]

    second = vote(api, links[sam], comment="Agreed.")
    assert second.status == 200, second.text
    decided = second.json()["decision"]
    assert decided["outcome"] == "approved" and decided["decided_by"] == sam
    assert (second.json()["approvals"], second.json()["approvals_needed"]) == (2, 2)

    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    votes = view["decision"]["votes"]
    assert [(v["approver"], v["outcome"]) for v in votes] == [(alex, "approved"), (sam, "approved")]
    assert {v["plan_hash"] for v in votes} == {view["decision"]["plan_hash"]} == {view["plan_hash"]}
    assert [r["action_id"] for r in view["step_results"]] == [s["action_id"] for s in view["plan"]["steps"]]
    assert entered(stack, ticket_id, "Execute resolution") == 1
    assert len(emails_for(api, ticket_id, "approved")) == 1


def test_the_last_two_votes_racing_resume_once_and_lose_no_vote(api: ApiClient, stack: LocalRuntime) -> None:
    tickets = in_parallel(RACES, lambda: submit_and_collect_links(api, ACCOUNT_ISSUE, ADMINS))

    both_decided = 0
    for ticket_id, links in tickets:
        replies = race_approvals(api, links)
        assert {a: r.status for a, r in replies.items()} == {a: 200 for a in ADMINS}, [r.text for r in replies.values()]
        assert {a: r.json()["vote"]["approver"] for a, r in replies.items()} == {a: a for a in ADMINS}
        answered = [r.json()["decision"] for r in replies.values() if r.json()["decision"] is not None]
        assert answered, "neither vote reported the decision"
        both_decided += len(answered) == 2
        view = wait_for_state(api, ticket_id, {"COMPLETED", "FAILED"})
        assert view["state"] == "COMPLETED"
        decisions = [c for c in view["checkpoints"] if c["state"] == "EXECUTING" and c["note"].startswith("approved")]
        assert len(decisions) == 1, view["checkpoints"]  # one resume recorded the decision once
        assert entered(stack, ticket_id, "Execute resolution") == 1
        assert len(emails_for(api, ticket_id, "approved")) == 1
        actions = [r["action_id"] for r in view["step_results"]]
        assert len(actions) == len(set(actions))  # no step ran twice
        # No vote lost: both are in Memory and in the decision the workflow recorded.
        assert sorted(v.approver for v in stored_votes(ticket_id)) == sorted(ADMINS)
        assert sorted(v["approver"] for v in view["decision"]["votes"]) == sorted(ADMINS)
    record("vote_races", {"races": RACES, "resumes": RACES, "lost_votes": 0, "both_answers_decided": both_decided})


class VotesMeetFirst:
    """A vote log that holds each writer after its write until the other has written too.

    Locally the API function serves one request at a time (one Lambda container), so two
    clicks over HTTP never interleave. Two containers on AWS can: both votes stored before
    either is counted, so both count two approvals and both send the decision.
    """

    def __init__(self, log: Any, meeting: threading.Barrier) -> None:
        self._log = log
        self._meeting = meeting

    def record(self, vote: Any, customer_id: str) -> Any:
        stored = self._log.record(vote, customer_id)
        self._meeting.wait(timeout=20)
        return stored

    def votes(self, ticket_id: str, customer_id: str, round_number: int) -> Any:
        return self._log.votes(ticket_id, customer_id, round_number)


def approve_from_two_containers(ticket_id: str, links: dict[str, str]) -> dict[str, Any]:
    """Each approver's approval decided by a container of its own, both votes stored before either is counted."""
    from urllib.parse import parse_qs, urlsplit

    from ticketing.bootstrap import aws_services  # imported once the stack set the functions' environment
    from ticketing.domain.review import ReviewRequest
    from ticketing.logic import approvals
    from ticketing.settings import Settings

    meeting = threading.Barrier(len(links))
    outcomes: dict[str, Any] = {}

    def container(approver: str, link: str) -> None:
        services = aws_services(Settings.from_env())  # each container builds its own
        services.votes = VotesMeetFirst(services.votes, meeting)  # type: ignore[assignment]
        token = parse_qs(urlsplit(link).query)["token"][0]
        try:
            outcomes[approver] = approvals.decide(services, ticket_id, token, ReviewRequest(outcome="approved"))
        except Exception as refused:  # noqa: BLE001 - the caller's assertion names it
            outcomes[approver] = refused

    threads = [threading.Thread(target=container, args=item) for item in links.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_containers_that_both_count_two_approvals_resume_the_workflow_once(
    api: ApiClient, stack: LocalRuntime
) -> None:
    for _ in range(3):
        ticket_id, links = submit_and_collect_links(api, ACCOUNT_ISSUE, ADMINS)
        outcomes = approve_from_two_containers(ticket_id, links)

        # Both counted two approvals and sent the decision; Step Functions kept one, the other is part of it.
        assert sorted(outcomes) == sorted(ADMINS)
        assert not [o for o in outcomes.values() if isinstance(o, Exception)], outcomes
        assert all(o.decision is not None and (o.approvals, o.needed) == (2, 2) for o in outcomes.values())
        view = wait_for_state(api, ticket_id, {"COMPLETED", "FAILED"})
        assert view["state"] == "COMPLETED"
        assert [c["note"] for c in view["checkpoints"] if c["note"].startswith("approved")] == [
            f"approved by {view['decision']['decided_by']}"
        ]
        assert entered(stack, ticket_id, "Execute resolution") == 1
        assert len(emails_for(api, ticket_id, "approved")) == 1
        assert sorted(v["approver"] for v in view["decision"]["votes"]) == sorted(ADMINS)


def test_one_rejection_of_two_rejects(api: ApiClient, stack: LocalRuntime) -> None:
    ticket_id, links = submit_and_collect_links(api, ACCOUNT_ISSUE, ADMINS)
    alex, sam = ADMINS

    reply = vote(api, links[alex], "reject", reason="Call the customer first.")
    assert reply.status == 200, reply.text
    decided = reply.json()["decision"]
    assert decided["outcome"] == "rejected" and decided["decided_by"] == alex

    view = wait_for_state(api, ticket_id, {"REJECTED"})
    assert view["decision"]["reason"] == "Call the customer first."
    assert [(v["approver"], v["outcome"]) for v in view["decision"]["votes"]] == [(alex, "rejected")]
    late = vote(api, links[sam])
    assert late.status == 409 and "already rejected" in late.json()["message"] and alex in late.json()["message"]
    assert api.ticket(ticket_id).json()["checkpoints"] == view["checkpoints"]
    assert view["step_results"] == [] and entered(stack, ticket_id, "Execute resolution") == 0
    assert emails_for(api, ticket_id, "approved") == []


@pytest.fixture
def rejection_held(stack: LocalRuntime) -> Iterator[threading.Event]:
    """Record rejection waits until released: Step Functions has the decision, the checkpoint does not yet."""
    from ticketing.handlers import close_ticket  # imported once the stack set the functions' environment

    release = threading.Event()
    name = stack.function_named("ticketing.handlers.close_ticket")

    def held(event: dict[str, Any], context: Any) -> Any:
        if event.get("outcome") == "REJECTED":
            release.wait(30)
        return close_ticket.handler(event, context)

    stack.replace_handler(name, held)
    yield release
    release.set()
    stack.replace_handler(name, close_ticket.handler)


def test_an_approval_after_a_rejection_was_sent_is_refused(api: ApiClient, rejection_held: threading.Event) -> None:
    ticket_id, links = submit_and_collect_links(api, ACCOUNT_ISSUE, ADMINS)
    alex, sam = ADMINS
    assert vote(api, links[alex], "reject", reason="No.").status == 200
    try:
        late = vote(api, links[sam])
    finally:
        rejection_held.set()
    wait_for_state(api, ticket_id, {"REJECTED"})
    assert late.status == 409, late.text


def test_a_network_ticket_goes_to_the_support_leads_and_one_approval_decides(api: ApiClient) -> None:
    ticket_id, links = submit_and_collect_links(api, NETWORK_ISSUE, LEADS)
    lee, kim = LEADS
    assert "Also asked: kim.lead@example.com; the first decision counts." in next(
        e["text"] for e in emails_for(api, ticket_id, "approval-request") if e["to"] == [lee]
    )

    reply = vote(api, links[lee])
    assert reply.status == 200, reply.text
    body = reply.json()
    assert body["decision"]["decided_by"] == lee and (body["approvals"], body["approvals_needed"]) == (1, 1)
    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert view["decision"]["votes"] == []  # one approval decides: no vote to count
    late = vote(api, links[kim], "reject", reason="Too late.")
    assert late.status == 409 and "already approved" in late.json()["message"] and lee in late.json()["message"]
    assert stored_votes(ticket_id) == []
