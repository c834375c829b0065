"""The template's Lambda functions, run in this process as Lambda would run them.

Each function is known by its logical id in the template. An invocation gets a
Lambda-like context; an exception becomes Lambda's error payload, as the state
machine and API Gateway would see it.

A Lambda container handles one event at a time, and handlers rely on it: module
state such as the Powertools resolver's `current_event` or the logger's keys belongs
to the invocation running. Here each function has one container (one imported
handler module), so its invocations run one after another, as under reserved
concurrency 1; different functions still run side by side. A handler that invoked
its own function synchronously would wait for itself (Lambda would start a second
container); none does.
"""

from __future__ import annotations

import importlib
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NamedTuple

from .interception import Interceptors
from .template import TemplateFunction

LambdaHandler = Callable[[dict[str, Any], Any], Any]
API_HANDLER_MODULE = "ticketing.handlers.api"


class Invocation(NamedTuple):
    payload: Any  # the handler's result, or Lambda's error payload when `failed`
    failed: bool


@dataclass
class LocalLambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _fresh_module(name: str) -> ModuleType:
    """The handler module as a new Lambda container would import it: its settings read from this
    runtime's environment, never left over from an earlier runtime in the same process."""
    module = sys.modules.get(name)
    return importlib.reload(module) if module is not None else importlib.import_module(name)


class InProcessFunctions:
    """Handlers by logical id; `interceptors` are consulted before each handler runs."""

    def __init__(self, interceptors: Interceptors) -> None:
        self._interceptors = interceptors
        self._lock = threading.Lock()
        self._functions: dict[str, TemplateFunction] = {}
        self._handlers: dict[str, LambdaHandler] = {}
        self._containers: dict[str, threading.Lock] = {}  # per function: held while an invocation runs

    def load(self, functions: Iterable[TemplateFunction]) -> None:
        """Import each function's handler (the process must already have the functions' environment)."""
        loaded = {f.logical_id: f for f in functions}
        handlers: dict[str, LambdaHandler] = {}
        for function in loaded.values():
            module_name, attribute = function.handler.rsplit(".", 1)
            handlers[function.logical_id] = getattr(_fresh_module(module_name), attribute)
        with self._lock:
            self._functions, self._handlers = loaded, handlers
            self._containers = {name: threading.Lock() for name in loaded}

    def serves(self, name: str) -> bool:
        return name in self._handlers

    def function_named(self, handler_module: str) -> str:
        """The logical id of the function whose handler lives in `handler_module`."""
        return next(f.logical_id for f in self._functions.values() if f.handler.startswith(handler_module + "."))

    @property
    def api_function(self) -> str:
        """The function behind the REST API."""
        return self.function_named(API_HANDLER_MODULE)

    def replace_handler(self, name: str, handler: LambdaHandler) -> None:
        """Run `handler` for the function `name` from now on (benchmarks, held steps in tests)."""
        with self._lock:
            if name not in self._handlers:
                raise KeyError(f"no function {name} in the template")
            self._handlers[name] = handler

    def invoke(self, name: str, event: dict[str, Any]) -> Invocation:
        """Run a handler as Lambda would, once the function's container is free; an exception becomes
        Lambda's error payload."""
        context = LocalLambdaContext(name, self._functions[name].arn, str(uuid.uuid4()))
        try:
            with self._containers[name]:
                self._interceptors.before_handler(name)
                return Invocation(self._handlers[name](event, context), False)
        except Exception as error:  # noqa: BLE001 - every error is reported as Lambda reports it
            return Invocation(
                {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_tb(error.__traceback__),
                },
                True,
            )

    def invoke_api(self, event: dict[str, Any]) -> Invocation:
        """Run the API function on an API Gateway proxy event."""
        return self.invoke(self.api_function, event)
