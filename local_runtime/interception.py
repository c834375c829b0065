"""The runtime's interception points, where a caller can make AWS or a handler fail on purpose.

- A call interceptor sees each AWS call before moto acts on it (and each Lambda
  invoke of an in-process function before the handler runs) and may answer it
  with an AWS error instead.
- A handler interceptor sees each handler invocation before the handler runs
  and may raise, as the handler's own code would.

The runtime consults them and arms none: `serve` and `demo` run with both lists
empty. Fault injection for tests (tests/support/faults.py) plugs in here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AwsCall:
    service: str  # botocore's service id: "bedrock-agentcore", "sesv2", "lambda"
    operation: str  # "CreateEvent", "SendEmail", "Invoke"
    function: str | None = None  # for a Lambda invoke of an in-process function: its logical id


@dataclass(frozen=True)
class AwsError:
    """An error answer, as the service would send it."""

    code: str
    message: str
    status: int


CallInterceptor = Callable[[AwsCall], AwsError | None]
HandlerInterceptor = Callable[[str], None]  # given a function's logical id; raises to fail the invocation


class Interceptors:
    """The call and handler interceptors in force, consulted in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: tuple[CallInterceptor, ...] = ()
        self._handlers: tuple[HandlerInterceptor, ...] = ()

    def add(self, *, call: CallInterceptor | None = None, handler: HandlerInterceptor | None = None) -> None:
        with self._lock:
            if call is not None:
                self._calls = (*self._calls, call)
            if handler is not None:
                self._handlers = (*self._handlers, handler)

    def remove(self, *, call: CallInterceptor | None = None, handler: HandlerInterceptor | None = None) -> None:
        with self._lock:
            self._calls = tuple(c for c in self._calls if c != call)
            self._handlers = tuple(h for h in self._handlers if h != handler)

    def answer(self, call: AwsCall) -> AwsError | None:
        """The first error an interceptor answers `call` with, or None to let it through."""
        for interceptor in self._calls:  # a snapshot: adding or removing does not disturb a call in flight
            error = interceptor(call)
            if error is not None:
                return error
        return None

    def before_handler(self, function: str) -> None:
        for interceptor in self._handlers:
            interceptor(function)
