"""Which task tokens got their result, and which tasks timed out: what Step Functions knows and moto forgets.

moto accepts every result sent for a token, and accepts one after the task
timed out; AWS accepts only the first and answers `TaskTimedOut` to the rest.
The botocore hooks consult this ledger to answer as AWS does.

A token is free, in flight (a result is on its way to moto) or closed (a result
was accepted, or the task timed out). A result sent while another is in flight
waits until that one settles: AWS would have handled both, accepting one, so a
second result must not be refused on the strength of a first that then fails.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

ExecutionHistory = Callable[[str], list[dict[str, Any]]]  # an execution ARN -> its history events, oldest first

# Longer than any in-flight SendTask* takes (botocore's retries included); past it the ledger is stuck, not busy.
IN_FLIGHT_WAIT_SECONDS = 60.0


class TokenStuck(RuntimeError):
    """A result stayed in flight past any plausible call: its hooks never settled it."""


class TaskTokenLedger:
    def __init__(self, history: ExecutionHistory, *, in_flight_wait: float = IN_FLIGHT_WAIT_SECONDS) -> None:
        self._history = history
        self._in_flight_wait = in_flight_wait
        self._changed = threading.Condition()
        self._in_flight: set[str] = set()
        self._closed: set[str] = set()
        self._issuers: dict[str, str] = {}

    def claim(self, token: str) -> bool:
        """True when this result may go on to complete the token; False once the token is closed.

        While another result for the token is in flight, waits for it to settle: if it is
        accepted this one is refused; if it is released this one gets the token.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: token not in self._in_flight, timeout=self._in_flight_wait):
                raise TokenStuck(f"a result for this task token has been in flight for over {self._in_flight_wait}s")
            if token in self._closed:
                return False
            self._in_flight.add(token)
            return True

    def close(self, token: str) -> None:
        """The claimed result was accepted (or the task timed out): the token takes no result any more."""
        with self._changed:
            self._in_flight.discard(token)
            self._closed.add(token)
            self._changed.notify_all()

    def release(self, token: str) -> None:
        """The claimed result was not accepted: the next one may complete the token."""
        with self._changed:
            self._in_flight.discard(token)
            self._changed.notify_all()

    def remember_issuer(self, token: str, execution_arn: str) -> None:
        """Note which execution issued a task token (seen in the invoke payload of a waiting task)."""
        with self._changed:
            self._issuers[token] = execution_arn

    def timed_out(self, token: str) -> bool:
        """True once the task that issued `token` timed out (its history says TaskTimedOut)."""
        with self._changed:
            execution_arn = self._issuers.get(token)
        if execution_arn is None:
            return False
        events = self._history(execution_arn)
        scheduled = [e["id"] for e in events if e["type"] == "TaskScheduled" and token in json.dumps(e, default=str)]
        return bool(scheduled) and any(e["type"] == "TaskTimedOut" and e["id"] > scheduled[0] for e in events)
