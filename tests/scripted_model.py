"""A `strands.models.Model` that plays a script: the real Strands `Agent` drives it, no network.

Each model request takes the next turn of the script: a tool call, a text answer, a
hang (until the agent cancels it, or `release` is set), or an exception. Every request
is recorded (messages, system prompt, tool names, tool choice) for the test to check.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass, field
from typing import Any

from strands.models import Model

USAGE = {"inputTokens": 120, "outputTokens": 30, "totalTokens": 150}


@dataclass
class Turn:
    kind: str  # "tool", "text", "hang", "raise"
    name: str = ""
    payload: Any = None


def tool_call(name: str, tool_input: dict[str, Any]) -> Turn:
    return Turn("tool", name, tool_input)


def text(words: str) -> Turn:
    return Turn("text", payload=words)


def hang() -> Turn:
    return Turn("hang")


def fail(error: Exception) -> Turn:
    return Turn("raise", payload=error)


@dataclass
class Request:
    messages: list[dict[str, Any]]
    system_prompt: str | None
    tool_names: list[str]
    tool_choice: Any
    tool_specs: list[dict[str, Any]] = field(default_factory=list)  # what the request carries to describe the tools


@dataclass
class ScriptedModel(Model):
    script: list[Turn]
    requests: list[Request] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def update_config(self, **model_config: Any) -> None:
        pass

    def get_config(self) -> Any:
        return {"model_id": "scripted"}

    async def structured_output(
        self, output_model: Any, prompt: Any, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, Any]]:
        raise AssertionError("the agents ask for structured output through the agent loop")
        yield {}  # pragma: no cover

    async def stream(  # type: ignore[override]
        self,
        messages: Any,
        tool_specs: list[dict[str, Any]] | None = None,
        system_prompt: str | None = None,
        *,
        tool_choice: Any = None,
        cancel_signal: threading.Event | None = None,
        **kwargs: Any,
    ) -> AsyncIterable[dict[str, Any]]:
        self.requests.append(
            Request(
                copy.deepcopy(messages),
                system_prompt,
                [t["name"] for t in tool_specs or []],
                tool_choice,
                copy.deepcopy(list(tool_specs or [])),
            )
        )
        if not self.script:
            raise AssertionError(f"the script has no turn left for request {len(self.requests)}")
        turn = self.script.pop(0)
        if turn.kind == "raise":
            raise turn.payload
        if turn.kind == "hang":
            while not (self.release.is_set() or (cancel_signal is not None and cancel_signal.is_set())):
                await asyncio.sleep(0.01)
            raise TimeoutError("the scripted model was cancelled while hanging")
        yield {"messageStart": {"role": "assistant"}}
        if turn.kind == "tool":
            tool_use_id = f"tooluse-{len(self.requests)}"
            yield {"contentBlockStart": {"start": {"toolUse": {"toolUseId": tool_use_id, "name": turn.name}}}}
            yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(turn.payload)}}}}
            yield {"contentBlockStop": {}}
            yield {"messageStop": {"stopReason": "tool_use"}}
        else:
            yield {"contentBlockDelta": {"delta": {"text": turn.payload}}}
            yield {"contentBlockStop": {}}
            yield {"messageStop": {"stopReason": "end_turn"}}
        yield {"metadata": {"usage": dict(USAGE), "metrics": {"latencyMs": 5}}}
