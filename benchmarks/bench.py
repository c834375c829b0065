"""`make bench`: what supportflow costs, as ratios against baselines measured in the same run.

1. The full approve path through the local stack (HTTP submit, the real handlers,
   checkpoints, email, approval link GET + POST, execution) against moto's
   interpreter running the same state machine with no-op handlers, driven
   directly through boto3. Latency per ticket (sequential) and throughput
   (concurrent workers).
2. The cold import of each handler module in a fresh process with an empty
   bytecode cache (as Lambda starts without .pyc) against `import boto3` alone.

Figures vary with the machine; the ratios are what to compare across changes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.outbox import OutboxEmail
from local_runtime.runtime import LocalRuntime
from ticketing.contract import Env
from ticketing.domain.policy import ApprovalPolicy

ROOT = Path(__file__).resolve().parent.parent
HANDLER_MODULES = [
    "ticketing.handlers.analyze",
    "ticketing.handlers.find_resolution",
    "ticketing.handlers.request_approval",
    "ticketing.handlers.execute",
    "ticketing.handlers.close_ticket",
    "ticketing.handlers.api",
]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _wait(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step did not finish")
        time.sleep(0.005)
    return value


def supportflow_ticket(runtime: LocalRuntime, api: ApiClient, n: int) -> float:
    """One ticket through the whole approve path, as a customer and an approver see it."""
    started = time.perf_counter()
    reply = api.submit(
        {"customer_id": f"bench-{n}", "customer_email": "b@example.com", "description": "My wifi keeps dropping."}
    )
    ticket_id = reply.json()["ticket_id"]

    def approval_email() -> OutboxEmail | None:
        return next(
            (e for e in runtime.outbox.emails() if ticket_id in e.subject and e.kind == "approval-request"), None
        )

    email = _wait(approval_email)
    link = approval_link(email.model_dump())
    api.open_page(link)
    api.post_decision(link, "approve")
    _wait(lambda: runtime.sfn.describe_execution(executionArn=runtime.execution_arn(ticket_id))["status"] != "RUNNING")
    return time.perf_counter() - started


def _returning(output: dict[str, Any]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    return lambda event, context: output


class NoOpHandlers:
    """Handlers that do nothing but return what the next state reads."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.lock = threading.Lock()

    def install(self, runtime: LocalRuntime) -> None:
        plan = {"category": "network", "steps": [], "customer_message": ""}
        outputs: dict[str, dict[str, Any]] = {
            "ticketing.handlers.analyze": {"category": "network"},
            "ticketing.handlers.find_resolution": plan,
            "ticketing.handlers.execute": {"step_results": []},
            "ticketing.handlers.close_ticket": {"state": "CLOSED"},
        }
        for module, output in outputs.items():
            runtime.replace_handler(runtime.function_named(module), _returning(output))
        runtime.replace_handler(runtime.function_named("ticketing.handlers.request_approval"), self._remember_token)

    def _remember_token(self, event: dict[str, Any], context: Any) -> dict[str, str]:
        with self.lock:
            self.tokens[event["ticket"]["ticket_id"]] = event["task_token"]
        return {}


def baseline_ticket(runtime: LocalRuntime, noop: NoOpHandlers, n: int) -> float:
    """The same state machine on moto with no-op handlers, driven straight through boto3."""
    started = time.perf_counter()
    ticket_id = f"tkt-20260101-{n:012x}"
    ticket = {
        "ticket_id": ticket_id,
        "customer_id": "b",
        "customer_email": "b@example.com",
        "subject": "",
        "description": "d",
        "submitted_at": datetime.now(UTC).isoformat(),
    }
    runtime.sfn.start_execution(
        stateMachineArn=runtime.state_machine_arn, name=ticket_id, input=json.dumps({"ticket": ticket})
    )
    token = _wait(lambda: noop.tokens.get(ticket_id))
    runtime.sfn.send_task_success(taskToken=token, output=json.dumps({"outcome": "approved"}))
    _wait(lambda: runtime.sfn.describe_execution(executionArn=runtime.execution_arn(ticket_id))["status"] != "RUNNING")
    return time.perf_counter() - started


def measure(run_one: Callable[[int], float], tickets: int, workers: int) -> dict[str, float]:
    run_one(10_000)  # warm up: first imports and client creation are not the steady state
    latencies = [run_one(i) for i in range(tickets)]
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run_one, range(tickets, 2 * tickets)))
    elapsed = time.perf_counter() - started
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": _percentile(latencies, 0.95) * 1000,
        "throughput": tickets / elapsed,
    }


# Handlers check at import that the stack set their variables; any well-formed values will do.
STACK_ENVIRONMENT = {
    **{name.value: "x" for name in Env},
    Env.MODEL_ID.value: "none",
    Env.APPROVAL_LINK_TTL_SECONDS.value: "3600",
    Env.MAX_APPROVAL_ROUNDS.value: "3",
    Env.APPROVAL_POLICY.value: ApprovalPolicy.single_approver("approver@example.com").model_dump_json(),
    Env.APPROVAL_TIMEOUT_SECONDS.value: "3600",
    Env.RESOLUTION_EXECUTOR.value: "catalog",
    Env.EXECUTOR_OVERRIDES.value: "{}",
    Env.IDENTITY_USER_ATTRIBUTE.value: "email",
    Env.DEVICE_COMMAND_DOCUMENTS.value: '{"check-connection": "doc"}',
    Env.DEVICE_COMMAND_WAIT_SECONDS.value: "60",
}


def cold_import_seconds(statement: str, repeats: int) -> float:
    """Median time of `statement` in a fresh interpreter with an empty bytecode cache."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = {
                **os.environ,
                **STACK_ENVIRONMENT,
                "PYTHONPYCACHEPREFIX": cache,
                "PYTHONPATH": str(ROOT / "functions"),
            }
            out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=30, help="tickets per phase (default 30)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent clients for throughput (default 4)")
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per import measurement")
    args = parser.parse_args()

    with LocalRuntime() as runtime:
        api = ApiClient(runtime.base_url)
        ours = measure(lambda n: supportflow_ticket(runtime, api, n), args.tickets, args.workers)
    with LocalRuntime(serve_http=False) as runtime:
        noop = NoOpHandlers()
        noop.install(runtime)
        base = measure(lambda n: baseline_ticket(runtime, noop, n), args.tickets, args.workers)

    boto3_import = cold_import_seconds("import boto3", args.repeats)
    imports = {m: cold_import_seconds(f"import {m}", args.repeats) for m in HANDLER_MODULES}

    rows = [
        ("approve path latency p50 (ms)", ours["p50_ms"], base["p50_ms"], "no-op handlers"),
        ("approve path latency p95 (ms)", ours["p95_ms"], base["p95_ms"], "no-op handlers"),
        (f"throughput, {args.workers} clients (tickets/s)", ours["throughput"], base["throughput"], "no-op handlers"),
    ]
    rows += [
        (f"cold import {m.rsplit('.', 1)[-1]} (ms)", t * 1000, boto3_import * 1000, "import boto3")
        for m, t in imports.items()
    ]
    print(f"\nsupportflow benchmark: {args.tickets} tickets per phase, python {sys.version.split()[0]}")
    print(f"{'measure':<40} {'supportflow':>12} {'baseline':>10} {'ratio':>7}  baseline is")
    for name, value, baseline, what in rows:
        print(f"{name:<40} {value:>12.1f} {baseline:>10.1f} {value / baseline:>7.2f}  {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
