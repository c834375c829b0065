"""`make bench`: what supportflow costs, as ratios against baselines measured in the same run.

1. The seed's story once on the local stack with a scripted model (benchmarks/story.py):
   the model input per request (benchmarks/model_input.py) and the cost per ticket
   (benchmarks/cost.py, prices in benchmarks/prices.json) beside the seed's.
2. The full approve path through the local stack (HTTP submit, the real handlers,
   checkpoints, email, approval link GET + POST, execution) against moto's
   interpreter running the same state machine with no-op handlers, driven
   directly through boto3. Latency per ticket (sequential) and throughput
   (concurrent workers).
3. The cold import of each handler module in a fresh process with an empty
   bytecode cache (as Lambda starts without .pyc) against `import boto3` alone
   (CPU time: on a shared machine, waiting for a core is noise).
4. The two code assets as the CDK bundles them, zipped (pip, so it needs the
   package index; `--skip-bundles` leaves them out).

Figures vary with the machine; the ratios are what to compare across changes. Every
run appends its figures and the commit to benchmarks/history.jsonl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.outbox import OutboxEmail
from local_runtime.runtime import LocalRuntime
from ticketing.contract import Env
from ticketing.domain.policy import ApprovalPolicy

from . import cost, model_input
from .agentcore_sdk import FUNCTIONS, asset_bytes, cold_import_ms, handler_modules, requirement_lines
from .story import run_story

ROOT = Path(__file__).resolve().parent.parent
HISTORY = Path(__file__).resolve().parent / "history.jsonl"
# Handlers that run a model: they pay for Strands only when a model is configured, and the target skips them.
MODEL_HANDLERS = {"analyze", "find_resolution", "revise_plan", "api"}
MB = 1024 * 1024
# The targets for the zipped code assets.
BUNDLE_TARGET_MB = {"lean": 5.0, "model": 12.0}
ASSETS = {"lean": "requirements.txt", "model": "requirements-agent.txt"}


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
            # Await approval next: one wait of an hour, nothing due, no policy decision.
            "ticketing.handlers.approval_timer": {"seconds": 3600, "auto": False, "expired": False},
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
    described = _wait(
        lambda: (
            (d := runtime.sfn.describe_execution(executionArn=runtime.execution_arn(ticket_id)))["status"] != "RUNNING"
            and d
        )
    )
    if described["status"] != "SUCCEEDED":
        raise RuntimeError(f"the no-op baseline ended {described['status']}: the no-op outputs no longer fit")
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
    Env.EVENTS_INCLUDE_CUSTOMER_TEXT.value: "false",
    Env.WEBHOOK_URLS.value: "[]",
    Env.WEBHOOK_RETRY_BASE_SECONDS.value: "30",
    Env.RESOLUTION_EXECUTOR.value: "catalog",
    Env.EXECUTOR_OVERRIDES.value: "{}",
    Env.IDENTITY_USER_ATTRIBUTE.value: "email",
    Env.DEVICE_COMMAND_DOCUMENTS.value: '{"check-connection": "doc"}',
    Env.DEVICE_COMMAND_WAIT_SECONDS.value: "60",
    Env.CONFIRMATION_TIMEOUT_SECONDS.value: "3600",
    Env.MAX_REOPENINGS.value: "2",
    Env.PERSON_STEPS.value: "true",
    Env.PERSON_STEP_TIMEOUT_SECONDS.value: "3600",
}


@dataclass(frozen=True)
class Figure:
    """One measured figure against its baseline, and the issue's target for the ratio (value / baseline)."""

    name: str
    value: float
    baseline: float
    baseline_is: str
    target: float | None = None  # the ratio to meet
    higher_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.value / self.baseline

    @property
    def met(self) -> str:
        if self.target is None:
            return ""
        ok = self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target
        return "yes" if ok else "NO"

    def row(self) -> str:
        target = "" if self.target is None else ("≥ " if self.higher_is_better else "≤ ") + f"{self.target:.3g}"
        return (
            f"{self.name:<42} {self.value:>11.1f} {self.baseline:>10.1f} {self.ratio:>6.2f} {target:>7} "
            f"{self.met:>4}  {self.baseline_is}"
        )


def timed_figures(tickets: int, workers: int) -> list[Figure]:
    with LocalRuntime() as runtime:
        api = ApiClient(runtime.base_url)
        ours = measure(lambda n: supportflow_ticket(runtime, api, n), tickets, workers)
    with LocalRuntime(serve_http=False) as runtime:
        noop = NoOpHandlers()
        noop.install(runtime)
        base = measure(lambda n: baseline_ticket(runtime, noop, n), tickets, workers)
    moto = "moto, no-op handlers"
    return [
        Figure("approve path latency p50 (ms)", ours["p50_ms"], base["p50_ms"], moto, 1.3),
        Figure("approve path latency p95 (ms)", ours["p95_ms"], base["p95_ms"], moto),
        Figure(f"throughput, {workers} clients (tickets/s)", ours["throughput"], base["throughput"], moto, 0.85, True),
    ]


def import_figures(repeats: int) -> list[Figure]:
    import os

    os.environ.update(STACK_ENVIRONMENT)  # the children inherit it: handlers validate their settings at import
    modules = handler_modules()
    ms = cold_import_ms(["import boto3", *(f"import {m}" for m in modules)], repeats)
    figures = []
    for module in modules:
        short = module.rsplit(".", 1)[-1]
        target = None if short in MODEL_HANDLERS else 1.2
        figures.append(
            Figure(f"cold import {short} (CPU ms)", ms[f"import {module}"], ms["import boto3"], "import boto3", target)
        )
    return figures


def bundle_figures() -> list[Figure]:
    import tempfile

    figures = []
    with tempfile.TemporaryDirectory() as temp:
        for name, file in ASSETS.items():
            size = asset_bytes(requirement_lines(FUNCTIONS / file), Path(temp), name) / MB
            target = BUNDLE_TARGET_MB[name]
            figures.append(Figure(f"zipped bundle, {name} functions (MB)", size, target, "the issue's target", 1.0))
    return figures


def model_input_figures(sizes: list[model_input.RequestSize]) -> list[Figure]:
    total = sum(s.characters for s in sizes)
    seed = "the seed's figure"
    return [
        Figure("model input, seed's story (characters)", total, model_input.SEED_CHARACTERS, seed, 0.5),
        Figure("model requests, seed's story", len(sizes), 7, seed, model_input.TARGET_REQUESTS / 7),
    ]


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def append_history(figures: list[Figure], cost_usd: float, args: argparse.Namespace) -> None:
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "python": sys.version.split()[0],
        "tickets": args.tickets,
        "workers": args.workers,
        "figures": {f.name: {"value": round(f.value, 2), "ratio": round(f.ratio, 3)} for f in figures},
        "cost_per_ticket_usd": round(cost_usd, 6),
    }
    with HISTORY.open("a") as history:
        history.write(json.dumps(entry, ensure_ascii=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=30, help="tickets per phase (default 30)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent clients for throughput (default 4)")
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per import measurement")
    parser.add_argument("--skip-bundles", action="store_true", help="do not build and zip the code assets")
    parser.add_argument("--no-history", action="store_true", help=f"do not append to {HISTORY.name}")
    args = parser.parse_args()

    record = run_story()
    sizes = [model_input.request_size(step, request) for step, request in record.requests]
    prices = cost.load_prices()
    ours = cost.ticket_cost(record, prices)
    print("\n" + "\n".join(model_input.table(sizes)))
    print("\n" + "\n".join(cost.usage_table(record)))
    print("\n" + "\n".join(cost.cost_table(ours, cost.seed_cost(ours, prices), prices)), flush=True)

    figures = model_input_figures(sizes)
    figures += timed_figures(args.tickets, args.workers)
    figures += import_figures(args.repeats)
    if not args.skip_bundles:
        figures += bundle_figures()

    print(f"\nsupportflow benchmark: {args.tickets} tickets per phase, python {sys.version.split()[0]}, {commit()}")
    print(f"{'measure':<42} {'supportflow':>11} {'baseline':>10} {'ratio':>6} {'target':>7} {'met':>4}  baseline is")
    for figure in figures:
        print(figure.row())
    print(f"{'cost per ticket (USD)':<42} {ours.usd:>11.5f}")
    if not args.no_history:
        append_history(figures, ours.usd, args)
        print(f"appended to {HISTORY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
