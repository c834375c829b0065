"""Faults injected on purpose into a local runtime, through its interception points (tests only).

A fault makes the next `times` matching calls fail the way AWS or Lambda would:

- an AWS call (`call`): AgentCore Memory or SES answers an error such as
  `ThrottlingException` or `MessageRejected` before moto acts, inside botocore's
  retry loop, so botocore retries a throttle as it would against AWS and the
  step's own Retry takes over when botocore gives up;
- a Lambda service error (`call("lambda", "Invoke", ...)`): the invoke fails
  before the handler runs, and the state machine sees `Lambda.<code>`;
- a handler error (`handler`): the function's handler raises, as code would.

Each fault counts what it injected, so a test can show that the fault really happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from local_runtime.interception import AwsCall, AwsError, Interceptors


@dataclass
class Fault:
    kind: Literal["call", "handler"]
    service: str  # botocore service id: "bedrock-agentcore", "sesv2", "lambda"; "" for handler faults
    operation: str  # "CreateEvent", "SendEmail", "Invoke"; "" for handler faults
    code: str  # the error code (calls) or exception class name (handlers)
    status: int
    times: int
    function: str | None = None  # a function's logical id: only its invokes (or its handler) fail
    message: str = "Injected fault"
    after: int = 0  # matching calls let through before the fault fires
    passed: int = 0
    injected: int = 0

    @property
    def spent(self) -> bool:
        return self.injected >= self.times


class InjectedHandlerError(Exception):
    """Raised by a handler fault; its Lambda `errorType` is the fault's code."""


class Faults:
    """Armed faults, consulted by a runtime's interceptors between `plug_into` and `unplug`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []
        self._history: list[Fault] = []  # every fault ever armed, for the tally

    def plug_into(self, interceptors: Interceptors) -> None:
        interceptors.add(call=self.intercept_call, handler=self.intercept_handler)

    def unplug(self, interceptors: Interceptors) -> None:
        interceptors.remove(call=self.intercept_call, handler=self.intercept_handler)

    def call(
        self,
        service: str,
        operation: str,
        code: str,
        *,
        times: int,
        status: int = 400,
        function: str | None = None,
        message: str = "Injected fault",
        after: int = 0,
    ) -> Fault:
        """Fail `times` calls of `service`.`operation` with the error `code`, once `after` calls went through."""
        return self._arm(Fault("call", service, operation, code, status, times, function, message, after))

    def handler(self, function: str, code: str, *, times: int, message: str = "Injected fault") -> Fault:
        """Make the handler of `function` raise an error named `code`, `times` times."""
        return self._arm(Fault("handler", "", "", code, 0, times, function, message))

    def clear(self) -> None:
        """Disarm every fault (the tally keeps them)."""
        with self._lock:
            self._armed.clear()

    def tally(self) -> dict[str, int]:
        """Faults injected so far, by class: `service.Operation:Code` or `handler:Code`."""
        counts: dict[str, int] = {}
        with self._lock:
            for f in self._history:
                key = f"handler:{f.code}" if f.kind == "handler" else f"{f.service}.{f.operation}:{f.code}"
                counts[key] = counts.get(key, 0) + f.injected
        return counts

    def intercept_call(self, call: AwsCall) -> AwsError | None:
        """A call interceptor: the error of the fault this call meets (counted), or None."""
        fault = self._take(
            lambda f: (
                f.kind == "call"
                and f.service == call.service
                and f.operation == call.operation
                and f.function in (None, call.function)
            )
        )
        return None if fault is None else AwsError(fault.code, fault.message, fault.status)

    def intercept_handler(self, function: str) -> None:
        """A handler interceptor: raises the error of the fault this invocation meets."""
        fault = self._take(lambda f: f.kind == "handler" and f.function == function)
        if fault is not None:
            error_class = type(fault.code, (InjectedHandlerError,), {})
            raise error_class(f"{fault.message} ({fault.injected} of {fault.times})")

    def _arm(self, fault: Fault) -> Fault:
        if fault.times < 1:
            raise ValueError("a fault fires at least once")
        with self._lock:
            self._armed.append(fault)
            self._history.append(fault)
        return fault

    def _take(self, matches: Callable[[Fault], bool]) -> Fault | None:
        with self._lock:
            for fault in self._armed:
                if not fault.spent and matches(fault):
                    if fault.passed < fault.after:
                        fault.passed += 1
                        return None
                    fault.injected += 1
                    return fault
        return None
