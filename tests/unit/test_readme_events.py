"""The README's "Lifecycle events and webhooks" section matches the code: the detail-types, the
CDK context keys and their defaults, and a receiver's verification code that accepts what the
sender signs and refuses a tampered or stale delivery."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from infra.config import DEFAULTS
from ticketing.domain.events import DETAIL_TYPES
from ticketing.domain.webhook_signature import signature_header

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text()
    start = text.index("\n## Lifecycle events and webhooks\n")
    return text[start : text.index("\n## ", start + 1)]


def receiver() -> Callable[..., bool]:
    code = re.search(r"```python\n(.*?)```", section(), re.S)
    assert code, "no Python block in the section"
    namespace: dict[str, object] = {}
    exec(code.group(1), namespace)  # noqa: S102 - the README's own example, run as a reader would
    verify = namespace["verify_supportflow"]
    assert callable(verify)
    return verify


def test_the_detail_type_table_is_the_codes():
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| `([^`]+)`", section(), re.M))
    assert rows == {state.value: detail_type for state, detail_type in DETAIL_TYPES.items()}


def test_the_context_keys_and_defaults_are_the_stacks():
    keys = dict(re.findall(r"^\| `([a-z_]+)` \| `([^`]+)`", section(), re.M))
    events_keys = {k: v for k, v in keys.items() if k.startswith(("webhook_", "events_"))}
    assert events_keys == {
        "webhook_urls": "[]",
        "webhook_retry_base_seconds": str(DEFAULTS["webhook_retry_base_seconds"]),
        "webhook_max_attempts": str(DEFAULTS["webhook_max_attempts"]),
        "events_include_customer_text": str(DEFAULTS["events_include_customer_text"]).lower(),
    }
    assert DEFAULTS["webhook_urls"] == []


def test_the_readmes_receiver_accepts_a_signed_delivery_and_refuses_a_tampered_or_stale_one():
    verify = receiver()
    secret, body, now = b"whsec-readme", b'{"detail":{"event_id":"tkt-1:1"}}', int(time.time())
    assert verify(signature_header(secret, body, now), body, secret)
    assert not verify(signature_header(secret, body, now), body.replace(b"1:1", b"1:2"), secret)
    assert not verify(signature_header(b"another secret", body, now), body, secret)
    assert not verify(signature_header(secret, body, now - 301), body, secret)
    assert not verify(None, body, secret)
    assert not verify("t=soon,v1=00", body, secret)
