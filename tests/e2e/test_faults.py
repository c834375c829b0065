"""Faults injected into the local runtime: after each, the ticket's state and checkpoints
tell the truth, no ticket is lost, and a step that ran twice did not act twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.runtime import LocalRuntime
from tests.support.faults import Faults
from ticketing.adapters.executors import EXECUTORS
from ticketing.domain.models import ResolutionStep, StepResult, Ticket

from .conftest import emails_for, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow

NETWORK_PLAN = [
    "network.check-connection-status",
    "network.restart-router",
    "network.reset-adapter",
    "network.check-isp-outage",
]
COMPLETED_TRAIL = [
    "ANALYZING",
    "FINDING_SOLUTION",
    "AWAITING_APPROVAL",
    "EXECUTING",
    *["EXECUTING"] * len(NETWORK_PLAN),
    "COMPLETED",
]
FINAL = {"COMPLETED", "REJECTED", "EXPIRED", "FAILED"}
# The AWS clients retry 4 times (ticketing/adapters/aws_clients.py): 5 attempts before a step sees the error.
BOTOCORE_ATTEMPTS = 5


class RecordingExecutor:
    """Counts every run of every action per ticket. Actions in `failing` report failure;
    actions in `raising` raise once (a dropped connection) before acting."""

    name = "recording"

    def __init__(self) -> None:
        self.runs: Counter[tuple[str, str]] = Counter()
        self.failing: set[str] = set()
        self.raising: set[str] = set()
        self._lock = threading.Lock()

    def run(self, ticket: Ticket, step: ResolutionStep) -> StepResult:
        with self._lock:
            if step.action_id in self.raising:
                self.raising.discard(step.action_id)
                raise ConnectionResetError(f"lost the connection before {step.action_id}")
            self.runs[(ticket.ticket_id, step.action_id)] += 1
        status = "failed" if step.action_id in self.failing else "succeeded"
        return StepResult(action_id=step.action_id, status=status, detail="recorded", finished_at=datetime.now(UTC))

    def runs_of(self, ticket_id: str) -> dict[str, int]:
        return {action: n for (ticket, action), n in self.runs.items() if ticket == ticket_id}


@pytest.fixture(scope="module")
def faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def stack(faults: Faults) -> Iterator[LocalRuntime]:
    with LocalRuntime() as runtime:
        faults.plug_into(runtime.interceptors)
        yield runtime
        faults.unplug(runtime.interceptors)
        tally_and_check_nothing_was_lost(runtime, faults)


def tally_and_check_nothing_was_lost(runtime: LocalRuntime, faults: Faults) -> None:
    """Every ticket of the module ended in a final state; print the faults that made them try."""
    api = ApiClient(runtime.base_url)
    executions = runtime.sfn.list_executions(stateMachineArn=runtime.state_machine_arn, maxResults=1000)
    tickets = {e["name"].split("-r")[0] for e in executions["executions"]}
    end_states = Counter(api.ticket(t).json()["state"] for t in tickets)
    lost = sum(n for state, n in end_states.items() if state not in FINAL)
    print(f"\nfaults injected: {faults.tally()}; tickets {len(tickets)}: {dict(end_states)}; lost {lost}")
    assert lost == 0


@pytest.fixture
def executor(stack: LocalRuntime, faults: Faults, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingExecutor]:
    recording = RecordingExecutor()
    # The stack's functions read RESOLUTION_EXECUTOR at start (simulated); the recording one stands in for it.
    monkeypatch.setitem(EXECUTORS, "simulated", lambda _settings: recording)
    yield recording
    faults.clear()


def fn(stack: LocalRuntime, step: str) -> str:
    return stack.function_named(f"ticketing.handlers.{step}")


def trail(view: dict[str, Any]) -> list[str]:
    return [c["state"] for c in view["checkpoints"]]


def failed_attempts(stack: LocalRuntime, execution: str) -> list[str]:
    """The error of each failed task attempt in the execution's history."""
    return [error for error, _ in failed_attempts_with_causes(stack, execution)]


def failed_attempts_with_causes(stack: LocalRuntime, execution: str) -> list[tuple[str, str]]:
    details = ("lambdaFunctionFailedEventDetails", "taskFailedEventDetails")
    return [(e[k]["error"], e[k].get("cause", "")) for e in stack.history(execution) for k in details if k in e]


def settled(api: ApiClient, stack: LocalRuntime, ticket_id: str, state: str) -> dict[str, Any]:
    """The ticket once its workflow stopped: never lost, in the state expected."""
    view = wait_for_state(api, ticket_id, FINAL, timeout=60)
    stack.wait_for_execution(view["executions"][-1]["name"])
    view = api.ticket(ticket_id).json()
    assert view["state"] == state, view
    return dict(view)


def test_a_transient_handler_error_is_retried_then_succeeds(api, stack, faults, executor):
    fault = faults.handler(fn(stack, "analyze"), "ConnectionResetError", times=2)
    ticket_id, link = submit_and_wait_for_link(api)
    executor.raising.add("network.restart-router")  # Execute's first attempt drops mid-plan
    assert api.post_decision(link, "approve").status == 200
    view = settled(api, stack, ticket_id, "COMPLETED")
    assert fault.injected == 2
    assert failed_attempts(stack, ticket_id) == ["ConnectionResetError"] * 3  # Analyze twice, Execute once
    assert trail(view) == COMPLETED_TRAIL
    # Execute ran twice; the action done before the drop was not done again.
    assert executor.runs_of(ticket_id) == dict.fromkeys(NETWORK_PLAN, 1)
    assert len(emails_for(api, ticket_id, "completed")) == 1


def test_a_handler_that_keeps_failing_ends_failed_tells_operators_and_resumes(api, stack, faults, executor):
    fault = faults.handler(fn(stack, "execute"), "RuntimeError", times=100)
    ticket_id, link = submit_and_wait_for_link(api)
    assert api.post_decision(link, "approve").status == 200
    view = settled(api, stack, ticket_id, "FAILED")
    assert fault.injected == 4  # the first attempt and three retries
    assert trail(view) == ["ANALYZING", "FINDING_SOLUTION", "AWAITING_APPROVAL", "FAILED"]
    assert view["failure"] == {"error": "RuntimeError", "failed_in": "AWAITING_APPROVAL"}
    assert view["decision"]["outcome"] == "approved" and view["workflow"]["status"] == "FAILED"
    (notice,) = emails_for(api, ticket_id, "failed")
    assert notice["to"] == ["operations@example.com"] and "RuntimeError" in notice["text"]
    assert executor.runs_of(ticket_id) == {}

    faults.clear()
    resumed = api.request("POST", f"/tickets/{ticket_id}/resume").json()
    assert resumed["resumed_from"] == "decision"
    view = settled(api, stack, ticket_id, "COMPLETED")
    assert executor.runs_of(ticket_id) == dict.fromkeys(NETWORK_PLAN, 1)
    assert view["failure"] is None and view["decision"]["outcome"] == "approved"


def test_resume_after_a_failed_step_reruns_only_the_steps_without_a_recorded_success(api, stack, executor):
    executor.failing.add("network.reset-adapter")
    ticket_id, link = submit_and_wait_for_link(api)
    assert api.post_decision(link, "approve").status == 200
    failed = settled(api, stack, ticket_id, "FAILED")
    assert failed["failure"]["error"] == "ResolutionStepFailed"  # not retried: the step itself failed
    assert [(r["action_id"], r["status"]) for r in failed["step_results"]] == [
        ("network.check-connection-status", "succeeded"),
        ("network.restart-router", "succeeded"),
        ("network.reset-adapter", "failed"),
    ]

    executor.failing.clear()
    reply = api.request("POST", f"/tickets/{ticket_id}/resume")
    assert reply.status == 202 and reply.json()["resumed_from"] == "decision"
    view = settled(api, stack, ticket_id, "COMPLETED")
    assert executor.runs_of(ticket_id) == {
        "network.check-connection-status": 1,
        "network.restart-router": 1,
        "network.reset-adapter": 2,
        "network.check-isp-outage": 1,
    }
    assert view["decision"] == failed["decision"]  # under the original approval
    assert [e["status"] for e in view["executions"]] == ["FAILED", "SUCCEEDED"]
    resumed = [
        e["stateEnteredEventDetails"]["name"]
        for e in stack.history(f"{ticket_id}-r1")
        if "stateEnteredEventDetails" in e
    ]
    assert resumed == ["Resumed?", "Resume from?", "Approved?", "Execute resolution", "Completed"]
    again = api.post_decision(link, "reject", accept="application/json")
    assert again.status == 409 and again.json()["error"] == "already_decided"


def test_lambda_service_errors_are_retried_by_the_step(api, stack, faults, executor):
    service = faults.call(
        "lambda",
        "Invoke",
        "ServiceException",
        status=500,
        times=1,
        function=fn(stack, "find_resolution"),
        message="Injected ServiceException",
    )
    throttled = faults.call(
        "lambda",
        "Invoke",
        "TooManyRequestsException",
        status=429,
        times=1,
        function=fn(stack, "find_resolution"),
        message="Injected TooManyRequestsException",
    )
    ticket_id, link = submit_and_wait_for_link(api)
    assert (service.injected, throttled.injected) == (1, 1)
    # AWS names these Lambda.ServiceException and Lambda.TooManyRequestsException; moto 5.2.5 names
    # every Lambda service error "Exception" and keeps the code in the cause. States.ALL retries both.
    assert [cause for _, cause in failed_attempts_with_causes(stack, ticket_id)] == [
        "Injected ServiceException",
        "Injected TooManyRequestsException",
    ]
    assert api.post_decision(link, "reject").status == 200
    view = settled(api, stack, ticket_id, "REJECTED")
    assert trail(view) == ["ANALYZING", "FINDING_SOLUTION", "AWAITING_APPROVAL", "REJECTED"]
    assert executor.runs_of(ticket_id) == {}


def test_memory_throttling_within_botocore_retries_is_invisible_to_the_workflow(api, stack, faults, executor):
    fault = faults.call("bedrock-agentcore", "CreateEvent", "ThrottlingException", status=429, times=2)
    ticket_id, link = submit_and_wait_for_link(api)
    assert fault.injected == 2
    assert failed_attempts(stack, ticket_id) == []
    assert api.post_decision(link, "approve").status == 200
    assert trail(settled(api, stack, ticket_id, "COMPLETED")) == COMPLETED_TRAIL


def test_memory_throttling_beyond_botocore_retries_is_retried_by_the_step(api, stack, faults, executor):
    ticket_id, link = submit_and_wait_for_link(api)
    # botocore gives up after 5 attempts; the sixth throttle meets Execute's second attempt (and botocore retries it).
    fault = faults.call(
        "bedrock-agentcore", "CreateEvent", "ThrottlingException", status=429, times=BOTOCORE_ATTEMPTS + 1
    )
    assert api.post_decision(link, "approve").status == 200
    view = settled(api, stack, ticket_id, "COMPLETED")
    assert fault.injected == BOTOCORE_ATTEMPTS + 1
    assert failed_attempts(stack, ticket_id) == ["StoreUnavailable"]
    assert trail(view) == COMPLETED_TRAIL
    assert executor.runs_of(ticket_id) == dict.fromkeys(NETWORK_PLAN, 1)


def test_an_action_whose_result_could_not_be_recorded_is_the_only_one_run_again(api, stack, faults, executor):
    """Why a real executor must be idempotent per ticket and action: its result was lost."""
    ticket_id, link = submit_and_wait_for_link(api)
    # Execute's writes: the EXECUTING entry, then one per action. The second action's write fails for good.
    fault = faults.call(
        "bedrock-agentcore", "CreateEvent", "ThrottlingException", status=429, times=BOTOCORE_ATTEMPTS, after=2
    )
    assert api.post_decision(link, "approve").status == 200
    view = settled(api, stack, ticket_id, "COMPLETED")
    assert fault.injected == BOTOCORE_ATTEMPTS and failed_attempts(stack, ticket_id) == ["StoreUnavailable"]
    assert executor.runs_of(ticket_id) == {**dict.fromkeys(NETWORK_PLAN, 1), NETWORK_PLAN[1]: 2}
    assert trail(view) == COMPLETED_TRAIL


def test_ses_throttling_after_the_plan_ran_retries_the_step_without_acting_twice(api, stack, faults, executor):
    ticket_id, link = submit_and_wait_for_link(api)
    fault = faults.call("sesv2", "SendEmail", "TooManyRequestsException", status=429, times=BOTOCORE_ATTEMPTS + 1)
    assert api.post_decision(link, "approve").status == 200
    view = settled(api, stack, ticket_id, "COMPLETED")
    assert fault.injected == BOTOCORE_ATTEMPTS + 1
    # The completion email, after every action ran: Execute ran twice and acted once.
    assert failed_attempts(stack, ticket_id) == ["TooManyRequestsException"]
    assert executor.runs_of(ticket_id) == dict.fromkeys(NETWORK_PLAN, 1)
    assert trail(view) == COMPLETED_TRAIL
    assert len(emails_for(api, ticket_id, "completed")) == 1


def test_an_approval_email_that_cannot_be_sent_fails_the_ticket_and_a_resume_asks_again(api, stack, faults, executor):
    fault = faults.call("sesv2", "SendEmail", "MessageRejected", times=1)
    reply = api.submit({"customer_id": "cust-e2e", "customer_email": "e2e@example.com", "description": "wifi drops"})
    ticket_id = reply.json()["ticket_id"]
    view = settled(api, stack, ticket_id, "FAILED")
    assert fault.injected == 1
    assert failed_attempts(stack, ticket_id) == ["EmailRejected"]  # refused for good: not retried
    assert view["failure"] == {"error": "EmailRejected", "failed_in": "AWAITING_APPROVAL"}
    assert trail(view) == ["ANALYZING", "FINDING_SOLUTION", "AWAITING_APPROVAL", "FAILED"]
    assert emails_for(api, ticket_id, "approval-request") == []
    assert emails_for(api, ticket_id, "failed")[0]["to"] == ["operations@example.com"]

    assert api.request("POST", f"/tickets/{ticket_id}/resume").json()["resumed_from"] == "approval"
    wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    (request,) = emails_for(api, ticket_id, "approval-request")
    assert api.post_decision(approval_link(request), "approve").status == 200
    view = settled(api, stack, ticket_id, "COMPLETED")
    assert trail(view) == [
        "ANALYZING",
        "FINDING_SOLUTION",
        "AWAITING_APPROVAL",
        "FAILED",
        "AWAITING_APPROVAL",
        *COMPLETED_TRAIL[3:],
    ]


def test_a_running_or_unknown_ticket_cannot_be_resumed(api, stack, executor):
    ticket_id, link = submit_and_wait_for_link(api)
    running = api.request("POST", f"/tickets/{ticket_id}/resume")
    assert running.status == 409 and running.json()["error"] == "not_resumable"
    assert api.request("POST", "/tickets/tkt-20261125-000000000000/resume").status == 404
    assert api.request("POST", "/tickets/../resume").status == 404
    assert api.post_decision(link, "reject").status == 200
    assert [e["name"] for e in settled(api, stack, ticket_id, "REJECTED")["executions"]] == [ticket_id]
