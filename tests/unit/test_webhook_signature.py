"""The Supportflow-Signature header: a receiver accepts what the secret signed, recently, and nothing else."""

from __future__ import annotations

import pytest

from ticketing.domain.webhook_signature import InvalidSignature, signature_header, verify

SECRET = b"whsec-test-key"
BODY = b'{"detail":{"event_id":"tkt-20261130-0a1b2c3d4e5f:1"}}'
NOW = 1_796_000_000


def test_a_signed_body_verifies_and_gives_its_time():
    header = signature_header(SECRET, BODY, NOW)
    assert header.startswith(f"t={NOW},v1=")
    assert verify(header, BODY, SECRET, now=NOW + 10) == NOW


@pytest.mark.parametrize(
    "body",
    [BODY.replace(b":1", b":2"), BODY + b" ", b"", BODY.upper()],
    ids=["other-sequence", "trailing-space", "empty", "case"],
)
def test_a_tampered_body_does_not_verify(body):
    with pytest.raises(InvalidSignature, match="no v1 signature matches"):
        verify(signature_header(SECRET, BODY, NOW), body, SECRET, now=NOW)


def test_another_secret_does_not_verify():
    with pytest.raises(InvalidSignature):
        verify(signature_header(b"other", BODY, NOW), BODY, SECRET, now=NOW)


def test_a_replay_older_than_five_minutes_is_refused_even_with_a_good_signature():
    header = signature_header(SECRET, BODY, NOW)
    assert verify(header, BODY, SECRET, now=NOW + 300) == NOW
    with pytest.raises(InvalidSignature, match="301 s old"):
        verify(header, BODY, SECRET, now=NOW + 301)
    with pytest.raises(InvalidSignature, match="old"):  # from the future too
        verify(header, BODY, SECRET, now=NOW - 301)


def test_a_changed_timestamp_breaks_the_signature():
    header = signature_header(SECRET, BODY, NOW).replace(f"t={NOW}", f"t={NOW + 60}")
    with pytest.raises(InvalidSignature, match="no v1 signature matches"):
        verify(header, BODY, SECRET, now=NOW + 60)


@pytest.mark.parametrize("header", [None, "", "v1=abc", f"t=abc,v1={'0' * 64}", f"t={NOW},t={NOW},v1=00", f"t={NOW}"])
def test_a_missing_or_malformed_header_is_refused(header):
    with pytest.raises(InvalidSignature):
        verify(header, BODY, SECRET, now=NOW)


def test_any_of_several_v1_signatures_may_match_so_a_secret_can_be_rotated():
    good = signature_header(SECRET, BODY, NOW).split("v1=")[1]
    assert verify(f"t={NOW},v1={'0' * 64},v1={good}", BODY, SECRET, now=NOW) == NOW
