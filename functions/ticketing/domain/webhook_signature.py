"""The `Supportflow-Signature` header of a webhook delivery, and how a receiver checks it.

`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed by the webhook
secret (the scheme of Stripe's and GitHub's signed webhooks). Signing the time with
the body lets a receiver refuse a replay: a delivery older than `tolerance` seconds
is refused even though its signature is good.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Supportflow-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class InvalidSignature(ValueError):
    """The header is missing or malformed, the signature does not match, or it is too old."""


def signature_header(secret: bytes, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={_mac(secret, body, timestamp)}"


def verify(
    header: str | None, body: bytes, secret: bytes, *, now: int, tolerance: int = DEFAULT_TOLERANCE_SECONDS
) -> int:
    """The delivery's timestamp when `header` signs `body` with `secret` within `tolerance`; else InvalidSignature."""
    if not header:
        raise InvalidSignature(f"no {HEADER} header")
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    stamps = fields.get("t", [])
    if len(stamps) != 1 or not stamps[0].isdigit():
        raise InvalidSignature("the header has no single t=<unix seconds>")
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature(f"the delivery is {abs(now - timestamp)} s old; at most {tolerance} s is accepted")
    expected = _mac(secret, body, timestamp)
    if not any(hmac.compare_digest(expected, given) for given in fields.get("v1", [])):
        raise InvalidSignature("no v1 signature matches the body")
    return timestamp


def _mac(secret: bytes, body: bytes, timestamp: int) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
