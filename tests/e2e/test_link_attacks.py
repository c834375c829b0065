"""Approval links under attack, over real HTTP, counted per attack class.

Forged, altered, truncated, expired, replayed and issued-for-another-ticket tokens
are each refused with their status (403, 403, 403, 410, 409, 403; an empty token is
a 400) for every decision (approve, reject, revise) and change nothing; GET never
decides whatever the headers; approve and reject racing on one ticket yield exactly
one decision. The counts go to
tests/artifacts/link_attacks.json and races.json (printed with -s).
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest

from local_runtime.http_client import ApiClient, Reply
from local_runtime.runtime import LocalRuntime
from tests.figures import record
from ticketing.domain.approval_link import ApprovalLinkSigner

from .conftest import emails_for, in_parallel, race_decisions, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow

ATTACKS: dict[str, dict[str, int]] = {}
WELL_FORMED_DECISIONS = (
    {"decision": "approve"},
    {"decision": "reject", "reason": "Not this plan."},
    {"decision": "revise", "feedback": "Check the line first."},
)
RACES = 12
CLICKS_PER_RACE = 8


def token_of(link: str) -> str:
    return urlsplit(link).query.removeprefix("token=")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def try_token(api: ApiClient, attack: str, ticket_id: str, token: str, status: int, code: str) -> None:
    """GET the page and POST every decision with `token`; each must be refused with `status` and `code`."""
    path = f"/approvals/{quote(ticket_id)}"
    replies: list[Reply] = [api.request("GET", f"{path}?token={quote(token)}", headers={"Accept": "application/json"})]
    # Each decision well formed (with what it requires), so only the token can refuse it.
    for fields in WELL_FORMED_DECISIONS:
        form = urlencode({"token": token, **fields}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        replies.append(api.request("POST", path, form, headers))
    counts = ATTACKS.setdefault(attack, {"tokens_tried": 0, "requests": 0, "accepted": 0})
    counts["tokens_tried"] += 1
    counts["requests"] += len(replies)
    counts["accepted"] += sum(r.status < 300 for r in replies)
    for reply in replies:
        assert (reply.status, reply.json()["error"]) == (status, code), (attack, token[:60], reply.text[:200])


@pytest.fixture(scope="module")
def signer(stack: LocalRuntime) -> ApprovalLinkSigner:
    from ticketing.bootstrap import aws_services
    from ticketing.settings import Settings

    return aws_services(Settings.from_env()).signer


@pytest.fixture(scope="module")
def target(stack: LocalRuntime) -> tuple[str, str, list[tuple[str, str]]]:
    """A ticket awaiting approval, and three others whose real tokens are foreign to it."""
    api = ApiClient(stack.base_url)
    ticket_id, link = submit_and_wait_for_link(api)
    others = [submit_and_wait_for_link(api) for _ in range(3)]
    return ticket_id, link, others


def unchanged(api: ApiClient, ticket_id: str, checkpoints: list[dict[str, Any]], emails: int) -> None:
    view = api.ticket(ticket_id).json()
    assert view["state"] == "AWAITING_APPROVAL" and view["decision"] is None
    assert view["checkpoints"] == checkpoints
    assert len([e for e in api.outbox() if ticket_id in e["subject"]]) == emails


def test_forged_tokens_are_403(api: ApiClient, target, signer):
    ticket_id, link, _ = target
    before, mails = api.ticket(ticket_id).json()["checkpoints"], len(emails_for(api, ticket_id, "approval-request"))
    real = claims_of(token_of(link))
    stranger = ApprovalLinkSigner(secrets.token_bytes(32))
    expires = datetime.fromtimestamp(real["expires_at"], UTC)
    forged = [secrets.token_urlsafe(n) for n in (1, 16, 43, 200)]
    forged += [f"{secrets.token_urlsafe(120)}.{secrets.token_urlsafe(32)}" for _ in range(8)]
    forged += [
        stranger.issue(
            ticket_id=ticket_id,
            checkpoint_hash=real["checkpoint_hash"],
            plan_hash=real["plan_hash"],
            expires_at=expires,
        )
        for _ in range(8)
    ]
    payload = token_of(link).split(".")[0]
    forged += [f"{payload}.", f"{payload}..", f"{payload}.{'A' * 43}", f".{token_of(link).split('.')[1]}"]
    forged += ["a.b", "..", ".", "x" * 1025, "é.é", "%00.%00", "<script>.x"]
    for token in forged:
        try_token(api, "forged", ticket_id, token, 403, "approval_link_invalid")
    unchanged(api, ticket_id, before, mails)


def test_altered_tokens_are_403(api: ApiClient, target, signer):
    ticket_id, link, _ = target
    before, mails = api.ticket(ticket_id).json()["checkpoints"], len(emails_for(api, ticket_id, "approval-request"))
    real = token_of(link)
    altered = set()
    for i, char in enumerate(real):  # every position, one character changed
        altered.add(real[:i] + ("B" if char == "A" else "A") + real[i + 1 :])
    payload, mac = real.split(".")
    claims = claims_of(real)
    for change in (
        {"expires_at": claims["expires_at"] + 365 * 86400},
        {"plan_hash": "0" * 64},
        {"checkpoint_hash": "0" * 64},
        {"purpose": "ticket-admin"},
        {"v": 2},
        {"extra": "claim"},
    ):
        altered.add(f"{b64(json.dumps({**claims, **change}, separators=(',', ':')).encode())}.{mac}")
    altered.add(f"{payload}.{mac}".swapcase())
    altered.discard(real)
    for token in sorted(altered):
        try_token(api, "altered", ticket_id, token, 403, "approval_link_invalid")
    unchanged(api, ticket_id, before, mails)


def test_truncated_tokens_are_403_and_an_empty_one_400(api: ApiClient, target):
    ticket_id, link, _ = target
    before, mails = api.ticket(ticket_id).json()["checkpoints"], len(emails_for(api, ticket_id, "approval-request"))
    real = token_of(link)
    for length in range(1, len(real)):
        try_token(api, "truncated", ticket_id, real[:length], 403, "approval_link_invalid")
    try_token(api, "truncated", ticket_id, "", 400, "invalid_request")
    unchanged(api, ticket_id, before, mails)


def test_expired_tokens_are_410(api: ApiClient, target, signer):
    ticket_id, link, _ = target
    before, mails = api.ticket(ticket_id).json()["checkpoints"], len(emails_for(api, ticket_id, "approval-request"))
    claims = claims_of(token_of(link))
    now = datetime.now(UTC)
    for ago in (timedelta(seconds=1), timedelta(minutes=5), timedelta(days=1), timedelta(days=365)):
        token = signer.issue(
            ticket_id=ticket_id,
            checkpoint_hash=claims["checkpoint_hash"],
            plan_hash=claims["plan_hash"],
            expires_at=now - ago,
        )
        try_token(api, "expired", ticket_id, token, 410, "approval_link_expired")
    epoch = signer.issue(
        ticket_id=ticket_id,
        checkpoint_hash=claims["checkpoint_hash"],
        plan_hash=claims["plan_hash"],
        expires_at=datetime.fromtimestamp(0, UTC),
    )
    try_token(api, "expired", ticket_id, epoch, 410, "approval_link_expired")
    unchanged(api, ticket_id, before, mails)


def test_tokens_issued_for_another_ticket_are_403(api: ApiClient, target):
    ticket_id, link, others = target
    before, mails = api.ticket(ticket_id).json()["checkpoints"], len(emails_for(api, ticket_id, "approval-request"))
    for other_id, other_link in others:
        try_token(api, "foreign", ticket_id, token_of(other_link), 403, "approval_link_invalid")
        try_token(api, "foreign", other_id, token_of(link), 403, "approval_link_invalid")
    unchanged(api, ticket_id, before, mails)
    for other_id, _ in others:
        assert api.ticket(other_id).json()["state"] == "AWAITING_APPROVAL"


def test_get_never_decides_whatever_the_headers(api: ApiClient, target):
    ticket_id, link, _ = target
    before, mails = api.ticket(ticket_id).json()["checkpoints"], len(emails_for(api, ticket_id, "approval-request"))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    attempts: list[tuple[str, str, bytes | None, dict[str, str]]] = [
        ("GET", link, None, headers)
        for headers in (
            {},
            {"Accept": "text/html"},
            {"Accept": "application/json"},
            {"Accept": "*/*", "User-Agent": "Mozilla/5.0 (compatible; SafeLinks)"},
            {"Purpose": "prefetch", "Sec-Purpose": "prefetch;prerender"},
            {"X-HTTP-Method-Override": "POST"},
            {"X-HTTP-Method": "POST", "X-Method-Override": "POST"},
            {**form, "Accept": "text/html"},
        )
    ]
    attempts += [
        ("GET", link, b"decision=approve&token=" + token_of(link).encode(), form),
        ("GET", f"{link}&decision=approve", None, {"Accept": "text/html"}),
        ("GET", f"{link}&decision=reject&_method=POST", None, {"Accept": "application/json"}),
        ("HEAD", link, None, {}),
        ("OPTIONS", link, None, {}),
    ]
    for method, url, body, headers in attempts:
        reply = api.request(method, url, body, headers)
        assert reply.status in {200, 404}, (method, headers, reply.status)
    unchanged(api, ticket_id, before, mails)
    ATTACKS["get_never_decides"] = {"requests": len(attempts), "decisions": 0}


def test_replayed_tokens_after_the_decision_are_409(api: ApiClient, target, stack):
    ticket_id, link, _ = target
    assert api.post_decision(link, "approve", accept="application/json").status == 200
    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    stack.wait_for_execution(ticket_id)  # the completion notice is sent before the execution ends
    for _ in range(5):
        try_token(api, "replayed", ticket_id, token_of(link), 409, "already_decided")
    after = api.ticket(ticket_id).json()
    assert after["checkpoints"] == view["checkpoints"] and after["step_results"] == view["step_results"]
    assert len(emails_for(api, ticket_id, "completed")) == 1
    assert all(counts.get("accepted", 0) == 0 for counts in ATTACKS.values())
    record("link_attacks", ATTACKS)


def test_approve_and_reject_racing_decide_exactly_once_every_time(api: ApiClient, stack: LocalRuntime):
    tickets = in_parallel(RACES, lambda: submit_and_wait_for_link(api, "My wifi keeps dropping every few minutes."))

    double_decisions = 0
    outcomes: dict[str, int] = {}
    for ticket_id, link in tickets:
        replies = race_decisions(api, link, CLICKS_PER_RACE)
        winners = [body for _, status, body in replies if status == 200]
        double_decisions += len(winners) != 1
        assert len(winners) == 1, replies
        outcome = winners[0]["decision"]["outcome"]
        losers = [body for _, status, body in replies if status != 200]
        assert all(b["error"] == "already_decided" and f"already {outcome}" in b["message"] for b in losers), losers
        final = "COMPLETED" if outcome == "approved" else "REJECTED"
        view = wait_for_state(api, ticket_id, {"COMPLETED", "REJECTED"})
        assert view["state"] == final and view["decision"]["outcome"] == outcome
        actions = [r["action_id"] for r in view["step_results"]]
        assert len(actions) == len(set(actions))  # acted on once: no step ran twice
        assert stack.wait_for_execution(ticket_id)["status"] == "SUCCEEDED"
        notices = emails_for(api, ticket_id, "completed") + emails_for(api, ticket_id, "rejected")
        assert len(notices) == 1
        outcomes[final] = outcomes.get(final, 0) + 1
    record(
        "races",
        {
            "races": RACES,
            "clicks_per_race": CLICKS_PER_RACE,
            "double_decisions": double_decisions,
            "end_states": outcomes,
        },
    )
