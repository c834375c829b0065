"""Which task tokens got their result, and which tasks timed out: what Step Functions knows and moto forgets.

moto accepts every result sent for a token, and accepts one after the task
timed out; AWS accepts only the first and answers `TaskTimedOut` to the rest.
The botocore hooks consult this ledger to answer as AWS does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

ExecutionHistory = Callable[[str], list[dict[str, Any]]]  # an execution ARN -> its history events, oldest first


class TaskTokenLedger:
    def __init__(self, history: ExecutionHistory) -> None:
        self._history = history
        self._lock = threading.Lock()
        self._claimed: set[str] = set()
        self._issuers: dict[str, str] = {}

    def claim(self, token: str) -> bool:
        """True for the first result sent for a token; later ones are refused."""
        with self._lock:
            if token in self._claimed:
                return False
            self._claimed.add(token)
            return True

    def release(self, token: str) -> None:
        """The claimed result was not accepted: the next one may complete the token."""
        with self._lock:
            self._claimed.discard(token)

    def remember_issuer(self, token: str, execution_arn: str) -> None:
        """Note which execution issued a task token (seen in the invoke payload of a waiting task)."""
        with self._lock:
            self._issuers[token] = execution_arn

    def timed_out(self, token: str) -> bool:
        """True once the task that issued `token` timed out (its history says TaskTimedOut)."""
        with self._lock:
            execution_arn = self._issuers.get(token)
        if execution_arn is None:
            return False
        events = self._history(execution_arn)
        scheduled = [e["id"] for e in events if e["type"] == "TaskScheduled" and token in json.dumps(e, default=str)]
        return bool(scheduled) and any(e["type"] == "TaskTimedOut" and e["id"] > scheduled[0] for e in events)
