"""One bounded agent call: a fresh Strands `Agent`, a deadline, a request budget, usage.

A call ends in an answer or in `ModelCallFailed` with a reason a person can read
(timed out, the model raised, the answer did not validate, the budget ran out); the
caller then falls back to the rules. Bedrock requests inside the call are counted
and capped by a hook, and Strands' own throttling retries are bounded, so one call
cannot grow into many.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel

from ..domain.models import Provenance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallLimits:
    deadline_seconds: float
    max_requests: int


@dataclass
class CallUsage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


def provenance(model_id: str, usage: CallUsage, fallback_reason: str = "") -> Provenance:
    """What one agent call cost, and whether its answer was used (no fallback reason) or not."""
    return Provenance(
        source="rules" if fallback_reason else "model",
        model_id=model_id,
        fallback_reason=fallback_reason,
        model_calls=1,
        model_requests=usage.requests,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
    )


class ModelCallFailed(Exception):
    def __init__(self, reason: str, usage: CallUsage) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage


class _RequestBudget:
    """Counts the model requests of one call and cancels the one past the budget."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.exhausted = False

    def before_model_call(self, event: Any) -> None:
        if self.count >= self.limit:
            self.exhausted = True
            event.cancel = f"request budget of {self.limit} spent"
            return
        self.count += 1


def _usage(agent: Any, budget: _RequestBudget) -> CallUsage:
    totals = agent.event_loop_metrics.accumulated_usage
    return CallUsage(
        requests=budget.count,
        input_tokens=int(totals.get("inputTokens", 0)),
        output_tokens=int(totals.get("outputTokens", 0)),
    )


def _run(
    model: Any,
    *,
    system_prompt: str,
    prompt: str,
    limits: CallLimits,
    output_model: type[BaseModel] | None,
    tools: Sequence[Any],
    history: list[dict[str, Any]] | None,
) -> tuple[Any, CallUsage]:
    from strands import Agent, ModelRetryStrategy  # deferred: only agent functions with a model pay for it
    from strands.hooks import BeforeModelCallEvent

    budget = _RequestBudget(limits.max_requests)
    agent = Agent(
        model=model,
        system_prompt=system_prompt,
        tools=list(tools),
        messages=cast(Any, history or []),
        callback_handler=None,
        # Throttling retries inside the loop: one more attempt, short waits (the deadline still rules).
        retry_strategy=ModelRetryStrategy(max_attempts=2, initial_delay=1, max_delay=2),
    )
    agent.add_hook(budget.before_model_call, BeforeModelCallEvent)
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-call")
    future = pool.submit(agent, prompt, structured_output_model=output_model, cancel_signal=cancel)
    try:
        result = future.result(timeout=limits.deadline_seconds)
    except FutureTimeout:
        cancel.set()  # the SDK and BedrockModel stop at their next checkpoint; nobody waits for them
        raise ModelCallFailed(
            f"the model gave no answer within {limits.deadline_seconds:g} s", CallUsage(requests=budget.count)
        ) from None
    except Exception as error:
        reason = _spent(limits) if budget.exhausted else _failure_reason(error)
        raise ModelCallFailed(reason, _usage(agent, budget)) from error
    finally:
        pool.shutdown(wait=False)
    usage = _usage(agent, budget)
    if budget.exhausted:
        raise ModelCallFailed(_spent(limits), usage)
    return result, usage


def _spent(limits: CallLimits) -> str:
    return f"no valid answer within the budget of {limits.max_requests} model requests"


def _failure_reason(error: Exception) -> str:
    cause = error.__cause__ if type(error).__name__ == "EventLoopException" and error.__cause__ else error
    return f"the model call failed: {type(cause).__name__}: {cause}"[:300]


def call_for[T: BaseModel](
    model: Any,
    output_model: type[T],
    *,
    system_prompt: str,
    prompt: str,
    limits: CallLimits,
    tools: Sequence[Any] = (),
) -> tuple[T, CallUsage]:
    """Ask a fresh agent for a structured answer of type `output_model`."""
    result, usage = _run(
        model,
        system_prompt=system_prompt,
        prompt=prompt,
        limits=limits,
        output_model=output_model,
        tools=tools,
        history=None,
    )
    answer = result.structured_output
    if not isinstance(answer, output_model):
        raise ModelCallFailed(f"the model gave no valid {output_model.__name__} (stop: {result.stop_reason})", usage)
    return answer, usage


def call_for_text(
    model: Any, *, system_prompt: str, prompt: str, limits: CallLimits, history: list[dict[str, Any]]
) -> tuple[str, CallUsage]:
    """Ask a fresh agent, seeded with `history` (Strands messages), for a plain-text reply."""
    result, usage = _run(
        model,
        system_prompt=system_prompt,
        prompt=prompt,
        limits=limits,
        output_model=None,
        tools=(),
        history=history,
    )
    text = str(result).strip()
    if result.stop_reason != "end_turn" or not text:
        raise ModelCallFailed(f"the model gave no reply (stop: {result.stop_reason})", usage)
    return text, usage
