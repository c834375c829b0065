"""The seed's story, once, on the local stack with a scripted model, and what it used.

The customer reports the seed's issue over HTTP, the agents analyse it and plan (a
scripted model answers, so no network and the same input every run), the approver
opens the link and approves, the plan runs, and the customer comes back with the
seed's recovery question. Recorded on the way: every model request (system prompt,
messages, tool specs), every function invocation with its configured memory and
duration, the AWS calls the functions made, and the state transitions.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.interception import AwsCall, AwsError
from local_runtime.lambda_host import LambdaHandler
from local_runtime.runtime import LocalRuntime
from local_runtime.template import functions
from tests.scripted_model import Request, ScriptedModel, Turn, text, tool_call
from ticketing.bootstrap import AwsServices

DESCRIPTION = "My internet connection keeps dropping every few minutes. It's affecting my work calls."
RECOVERY_QUESTION = "What was the issue we were working on?"
TRIAGE: dict[str, Any] = {
    "category": "network",
    "severity": "medium",
    "summary": "Internet drops every few minutes",
    "signals": ["keeps dropping", "work calls"],
    "explanation": "Intermittent connectivity that interrupts work.",
}
PLAN: dict[str, Any] = {
    "steps": [
        {"action_id": "network.restart-router", "wording": "Restart your router"},
        {"action_id": "network.check-isp-outage", "wording": "We check your provider for an outage"},
    ],
    "customer_message": "We will restart your router and check for an outage.",
}
ANSWER = (
    "Your internet connection kept dropping every few minutes during work calls. "
    "The approved steps ran: your router was restarted and your provider checked for an outage."
)
# Which step of the story each scripted turn answers, in order.
SCRIPT: list[tuple[str, Turn]] = [
    ("analysis", tool_call("TriageAnswer", TRIAGE)),
    ("plan", tool_call("PlanAnswer", PLAN)),
    ("recovery reply", text(ANSWER)),
]


@dataclass(frozen=True)
class Invocation:
    function: str  # the handler module's last name: analyze, api, ...
    memory_mb: int
    seconds: float


@dataclass
class StoryRecord:
    """What one run of the seed's story used."""

    requests: list[tuple[str, Request]] = field(default_factory=list)  # (step, model request)
    answers: list[Turn] = field(default_factory=list)  # what the model answered, request by request
    invocations: list[Invocation] = field(default_factory=list)
    aws_calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (service, operation) from the functions
    state_transitions: int = 0
    emails: int = 0
    final_state: str = ""


class _Recorder:
    """Times each handler and counts the AWS calls made while one runs (not the benchmark's own calls)."""

    def __init__(self, record: StoryRecord) -> None:
        self.record = record
        self.lock = threading.Lock()
        self.inside = threading.local()

    def timed(self, function: str, memory_mb: int, handler: LambdaHandler) -> LambdaHandler:
        def run(event: dict[str, Any], context: Any) -> Any:
            self.inside.function = function
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                elapsed = time.perf_counter() - started
                self.inside.function = None
                with self.lock:
                    self.record.invocations.append(Invocation(function, memory_mb, elapsed))

        return run

    def count_call(self, call: AwsCall) -> AwsError | None:
        if getattr(self.inside, "function", None) is not None:
            with self.lock:
                self.record.aws_calls[(call.service, call.operation)] += 1
        return None


@contextmanager
def _scripted_stack(model: ScriptedModel) -> Iterator[LocalRuntime]:
    """The local stack as a user with SUPPORTFLOW_MODEL_ID starts it, the model object replaced."""
    import os

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    original = AwsServices.__dict__["language_model"]
    # moto stops faking credentials when a model is set; any will do, nothing leaves the machine.
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    AwsServices.language_model = property(lambda _: model)  # type: ignore[assignment,method-assign]
    try:
        with LocalRuntime(context={"model_id": "scripted.local-model"}) as runtime:
            yield runtime
    finally:
        AwsServices.language_model = original  # type: ignore[method-assign]
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _wait[T](found: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while (value := found()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the seed's story stalled: {what}")
        time.sleep(0.01)
    return value


def run_story() -> StoryRecord:
    """The seed's story end to end: submit, analyse, plan, approve, execute, then the recovery question."""
    record = StoryRecord()
    model = ScriptedModel([turn for _, turn in SCRIPT])
    with _scripted_stack(model) as runtime:
        recorder = _Recorder(record)
        resources = runtime.template["Resources"]
        for function in functions(runtime.template):
            module, attribute = function.handler.rsplit(".", 1)
            memory_mb = int(resources[function.logical_id]["Properties"].get("MemorySize", 128))
            handler = getattr(sys.modules[module], attribute)
            short = module.rsplit(".", 1)[-1]
            runtime.replace_handler(function.logical_id, recorder.timed(short, memory_mb, handler))
        runtime.interceptors.add(call=recorder.count_call)

        api = ApiClient(runtime.base_url)
        reply = api.submit({"customer_id": "cust-seed", "customer_email": "jo@example.com", "description": DESCRIPTION})
        if reply.status != 202:
            raise RuntimeError(f"submit answered {reply.status}: {reply.text}")
        ticket_id = reply.json()["ticket_id"]
        email = _wait(
            lambda: next(
                (e for e in runtime.outbox.emails() if ticket_id in e.subject and e.kind == "approval-request"), None
            ),
            "no approval email",
        )
        link = approval_link(email.model_dump())
        api.open_page(link)
        decided = api.post_decision(link, "approve")
        if decided.status != 200:
            raise RuntimeError(f"the approval answered {decided.status}: {decided.text}")
        described = runtime.wait_for_execution(ticket_id)
        answer = api.message(ticket_id, RECOVERY_QUESTION)
        if answer.status != 200 or answer.json()["source"] != "model":
            raise RuntimeError(f"the recovery question answered {answer.status}: {answer.text}")

        record.final_state = str(described["status"])
        record.state_transitions = sum(1 for e in runtime.history(ticket_id) if e["type"].endswith("StateEntered"))
    steps = [step for step, _ in SCRIPT]
    if len(model.requests) != len(SCRIPT) or model.script:
        raise RuntimeError(f"expected one model request per step ({steps}), got {len(model.requests)}")
    record.requests = list(zip(steps, model.requests, strict=True))
    record.answers = [turn for _, turn in SCRIPT]
    record.emails = record.aws_calls[("sesv2", "SendEmail")]
    return record
