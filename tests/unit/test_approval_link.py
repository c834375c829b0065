import json
from datetime import UTC, datetime, timedelta

import pytest

from ticketing.domain.approval_link import (
    CONFIRMATION_PURPOSE,
    PURPOSE,
    STEP_PURPOSE,
    ApprovalLinkSigner,
    _b64,
    _unb64,
)
from ticketing.domain.errors import ApprovalLinkExpired, ApprovalLinkInvalid

KEY = b"k" * 48
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TICKET = "tkt-20261125-0123456789ab"


def issue(signer: ApprovalLinkSigner | None = None, **overrides) -> str:
    claims = {
        "ticket_id": TICKET,
        "checkpoint_hash": "c" * 64,
        "plan_hash": "p" * 64,
        "expires_at": NOW + timedelta(hours=72),
    }
    claims.update(overrides)
    return (signer or ApprovalLinkSigner(KEY)).issue(**claims)


def test_a_fresh_token_verifies_and_carries_its_claims():
    claims = ApprovalLinkSigner(KEY).verify(issue(), ticket_id=TICKET, now=NOW)
    assert (claims.ticket_id, claims.plan_hash, claims.checkpoint_hash) == (TICKET, "p" * 64, "c" * 64)


def test_the_token_carries_only_its_claims_and_no_task_token():
    token = issue()
    claims = json.loads(_unb64(token.split(".")[0]))
    assert set(claims) == {
        "v",
        "ticket_id",
        "checkpoint_hash",
        "plan_hash",
        "purpose",
        "expires_at",
        "approver",
        "round",
    }
    assert len(token) < 500  # a short link; an approver address of 254 characters still fits MAX_TOKEN_CHARS


@pytest.mark.parametrize("position", [0, 10, -1, -10])
def test_any_altered_character_is_refused(position):
    token = issue()
    flipped = "A" if token[position] != "A" else "B"
    altered = token[:position] + flipped + token[position + 1 :] if position != -1 else token[:-1] + flipped
    with pytest.raises(ApprovalLinkInvalid):
        ApprovalLinkSigner(KEY).verify(altered, ticket_id=TICKET, now=NOW)


def test_a_truncated_token_is_refused():
    token = issue()
    for cut in (token[:-5], token.split(".")[0], "", "."):
        with pytest.raises(ApprovalLinkInvalid):
            ApprovalLinkSigner(KEY).verify(cut, ticket_id=TICKET, now=NOW)


def test_a_token_signed_with_another_key_is_refused():
    with pytest.raises(ApprovalLinkInvalid):
        ApprovalLinkSigner(KEY).verify(issue(ApprovalLinkSigner(b"x" * 48)), ticket_id=TICKET, now=NOW)


def test_a_token_for_another_ticket_is_refused():
    with pytest.raises(ApprovalLinkInvalid):
        ApprovalLinkSigner(KEY).verify(issue(), ticket_id="tkt-20261125-ffffffffffff", now=NOW)


def test_an_expired_token_is_refused_as_expired():
    token = issue(expires_at=NOW + timedelta(seconds=1))
    ApprovalLinkSigner(KEY).verify(token, ticket_id=TICKET, now=NOW)
    with pytest.raises(ApprovalLinkExpired):
        ApprovalLinkSigner(KEY).verify(token, ticket_id=TICKET, now=NOW + timedelta(seconds=1))


def test_an_expired_forgery_is_reported_as_forged_not_expired():
    token = issue(ApprovalLinkSigner(b"x" * 48), expires_at=NOW - timedelta(days=1))
    with pytest.raises(ApprovalLinkInvalid):
        ApprovalLinkSigner(KEY).verify(token, ticket_id=TICKET, now=NOW)


def test_a_short_key_is_rejected():
    with pytest.raises(ValueError):
        ApprovalLinkSigner(b"short")


def test_a_non_ascii_token_is_refused_not_a_crash():
    with pytest.raises(ApprovalLinkInvalid):
        ApprovalLinkSigner(KEY).verify("abc.é", ticket_id=TICKET, now=NOW)


@pytest.mark.parametrize(
    "claim, value", [("plan_hash", "0" * 64), ("checkpoint_hash", "0" * 64), ("expires_at", 4102444800)]
)
def test_a_claim_changed_under_the_original_signature_is_refused(claim, value):
    payload, mac = issue().split(".")
    claims = json.loads(_unb64(payload))
    claims[claim] = value
    rewritten = _b64(json.dumps(claims, separators=(",", ":")).encode())
    with pytest.raises(ApprovalLinkInvalid):
        ApprovalLinkSigner(KEY).verify(f"{rewritten}.{mac}", ticket_id=TICKET, now=NOW)


@pytest.mark.parametrize(
    "issued_for, shown_as",
    [
        (PURPOSE, CONFIRMATION_PURPOSE),
        (CONFIRMATION_PURPOSE, PURPOSE),
        (STEP_PURPOSE, CONFIRMATION_PURPOSE),
        (CONFIRMATION_PURPOSE, STEP_PURPOSE),
    ],
)
def test_a_link_verifies_only_for_the_purpose_it_was_issued_for(issued_for, shown_as):
    token = issue(purpose=issued_for)
    assert ApprovalLinkSigner(KEY).verify(token, ticket_id=TICKET, now=NOW, purpose=issued_for).purpose == issued_for
    with pytest.raises(ApprovalLinkInvalid):
        ApprovalLinkSigner(KEY).verify(token, ticket_id=TICKET, now=NOW, purpose=shown_as)


def test_an_unknown_purpose_is_never_signed():
    with pytest.raises(ValueError):
        issue(purpose="anything-else")
