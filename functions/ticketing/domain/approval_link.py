"""Signed, expiring approval-link tokens (HMAC-SHA256).

A token names the ticket, the checkpoint whose plan the approver is shown, that
plan's hash, its purpose and its expiry. It never carries the Step Functions task
token, which stays in the checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime

from pydantic import ValidationError

from .errors import ApprovalLinkExpired, ApprovalLinkInvalid
from .models import Model

PURPOSE = "ticket-approval"
# Other people's links signed by the same machinery (issue 14): the customer's "is it resolved?" answer, and a
# customer's or an engineer's report on a step they carry out. A token verifies only for the purpose it was issued
# for, so no link can stand in for another kind.
CONFIRMATION_PURPOSE = "ticket-confirmation"
STEP_PURPOSE = "step-report"
PURPOSES = frozenset({PURPOSE, CONFIRMATION_PURPOSE, STEP_PURPOSE})
MAX_TOKEN_CHARS = 1024
_VERSION = 1


class ApprovalClaims(Model):
    v: int
    ticket_id: str
    checkpoint_hash: str
    plan_hash: str
    purpose: str
    expires_at: int
    # The approver the link was sent to (empty in links issued before approval policies).
    approver: str = ""
    # The review round the link asks about (0 in links issued before reminders: then the checkpoint must match).
    round: int = 0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ApprovalLinkSigner:
    """Issues and verifies approval tokens with one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the approval-link signing key must be at least 32 bytes")
        self._key = key

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(
        self,
        *,
        ticket_id: str,
        checkpoint_hash: str,
        plan_hash: str,
        expires_at: datetime,
        approver: str = "",
        round: int = 0,
        purpose: str = PURPOSE,
    ) -> str:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown link purpose {purpose!r}")
        claims = ApprovalClaims(
            approver=approver,
            round=round,
            v=_VERSION,
            ticket_id=ticket_id,
            checkpoint_hash=checkpoint_hash,
            plan_hash=plan_hash,
            purpose=purpose,
            expires_at=int(expires_at.timestamp()),
        )
        payload = _b64(json.dumps(claims.model_dump(), separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str, *, ticket_id: str, now: datetime, purpose: str = PURPOSE) -> ApprovalClaims:
        """The token's claims, if it is authentic, for this ticket and this purpose, and not expired."""
        forged = ApprovalLinkInvalid(
            "This approval link is not valid. Use the link from the most recent approval email, unchanged."
        )
        if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1 or not token.isascii():
            raise forged
        payload, mac = token.split(".")
        if not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            raise forged
        try:
            claims = ApprovalClaims.model_validate(json.loads(_unb64(payload)))
        except (ValueError, binascii.Error, ValidationError):
            raise forged from None
        if claims.v != _VERSION or claims.purpose != purpose or claims.ticket_id != ticket_id:
            raise forged
        if now.timestamp() >= claims.expires_at:
            raise ApprovalLinkExpired(
                "This approval link has expired. Ask the support team to send a new approval request."
            )
        return claims
