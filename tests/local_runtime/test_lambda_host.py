"""The in-process function host runs a function's invocations one at a time, as a Lambda container does.

Handlers keep per-invocation state in their modules (Powertools' resolver keeps the
request in `app.current_event`); two invocations of one function interleaved in one
module would read each other's events. Different functions are different containers
and run side by side.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local_runtime.interception import Interceptors
from local_runtime.lambda_host import InProcessFunctions
from local_runtime.template import TemplateFunction
from tests.local_runtime import shared_state_handlers

MODULE = shared_state_handlers.__name__


def host(**handlers: str) -> InProcessFunctions:
    functions = InProcessFunctions(Interceptors())
    functions.load(TemplateFunction(name, f"{MODULE}.{attribute}", {}) for name, attribute in handlers.items())
    return functions


def test_concurrent_invocations_of_one_function_each_see_their_own_event() -> None:
    functions = host(Remember="remember_then_answer")
    events = [{"request": n} for n in range(16)]

    with ThreadPoolExecutor(len(events)) as pool:
        answers = list(pool.map(lambda event: functions.invoke("Remember", event), events))

    assert [answer.payload for answer in answers] == events
    assert not any(answer.failed for answer in answers)


def test_different_functions_run_side_by_side() -> None:
    functions = host(Waiter="wait_for_the_other_function", Signal="signal_the_other_function")
    answers: list[Any] = []
    waiter = threading.Thread(target=lambda: answers.append(functions.invoke("Waiter", {})))
    waiter.start()

    assert functions.invoke("Signal", {}).payload is True
    waiter.join(5)

    assert [answer.payload for answer in answers] == [True]
