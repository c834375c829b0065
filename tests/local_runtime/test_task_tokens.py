"""The task-token ledger completes a token once, as Step Functions does, and never on the word of a failed result.

AWS handles two results sent for one token side by side and accepts one of them: the
other is refused only because the first was accepted. So a result sent while another
is still on its way to moto waits for that one: accepted, and this one is refused;
failed (throttled, an error), and this one gets the token.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from local_runtime.task_tokens import TaskTokenLedger, TokenStuck

TOKEN = "token-1"
STILL_WAITING = 0.2  # long enough for a claim that does not wait to have returned


def no_history(execution_arn: str) -> list[dict[str, object]]:
    return []


@dataclass
class Claim:
    """A claim made on another thread (a second click on the approval link)."""

    done: threading.Event = field(default_factory=threading.Event)
    outcome: list[bool | BaseException] = field(default_factory=list)

    def result(self) -> bool | BaseException:
        assert self.done.wait(5), "the claim never returned"
        return self.outcome[0]


@contextmanager
def claim_on_another_thread(ledger: TaskTokenLedger) -> Iterator[Claim]:
    claim = Claim()

    def run() -> None:
        try:
            claim.outcome.append(ledger.claim(TOKEN))
        except BaseException as error:  # noqa: BLE001 - handed to the test
            claim.outcome.append(error)
        claim.done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield claim
    finally:
        thread.join(5)


@pytest.fixture
def ledger() -> TaskTokenLedger:
    return TaskTokenLedger(no_history)


def test_a_second_result_waits_while_the_first_is_in_flight(ledger: TaskTokenLedger) -> None:
    assert ledger.claim(TOKEN)
    with claim_on_another_thread(ledger) as second:
        assert not second.done.wait(STILL_WAITING)
        ledger.release(TOKEN)  # let the test end


def test_a_second_result_gets_the_token_when_the_first_fails(ledger: TaskTokenLedger) -> None:
    assert ledger.claim(TOKEN)
    with claim_on_another_thread(ledger) as second:
        assert not second.done.wait(STILL_WAITING)
        ledger.release(TOKEN)  # e.g. throttled on every retry: Step Functions never saw it
        assert second.result() is True


def test_a_second_result_is_refused_when_the_first_is_accepted(ledger: TaskTokenLedger) -> None:
    assert ledger.claim(TOKEN)
    with claim_on_another_thread(ledger) as second:
        assert not second.done.wait(STILL_WAITING)
        ledger.close(TOKEN)
        assert second.result() is False


def test_a_closed_token_refuses_at_once_and_a_released_one_is_free_again(ledger: TaskTokenLedger) -> None:
    assert ledger.claim(TOKEN)
    ledger.release(TOKEN)
    assert ledger.claim(TOKEN)
    ledger.close(TOKEN)
    assert ledger.claim(TOKEN) is False
    assert ledger.claim("another-token") is True


def test_a_result_left_in_flight_forever_fails_loudly_instead_of_hanging() -> None:
    ledger = TaskTokenLedger(no_history, in_flight_wait=0.05)
    assert ledger.claim(TOKEN)
    with pytest.raises(TokenStuck):
        ledger.claim(TOKEN)
