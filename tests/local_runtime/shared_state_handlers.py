"""Handlers that keep the event they serve in module state, as Powertools' resolver keeps `current_event`.

Loaded by the in-process function host in tests/local_runtime/test_lambda_host.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any

current_event: dict[str, Any] | None = None
other_function_ran = threading.Event()


def remember_then_answer(event: dict[str, Any], context: Any) -> Any:
    """Answers the event it was given only if no other event arrived in this module meanwhile."""
    global current_event
    current_event = event
    time.sleep(0.002)  # another thread runs here, as during an AWS call
    return current_event


def wait_for_the_other_function(event: dict[str, Any], context: Any) -> bool:
    return other_function_ran.wait(5)


def signal_the_other_function(event: dict[str, Any], context: Any) -> bool:
    other_function_ran.set()
    return True
