"""What one ticket costs on AWS: the seed's story's usage (benchmarks/story.py) priced from prices.json.

Counted on the local stack: state transitions, function invocations with their
configured memory and duration (plus the assumed time each model request keeps its
function waiting), REST API requests, AgentCore Memory events written and read
calls, SES emails, secret reads, and model tokens (estimated from the characters
sent and answered). Printed beside the seed's cost for the same story.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .model_input import estimated_tokens, request_size
from .story import StoryRecord

PRICES_FILE = Path(__file__).resolve().parent / "prices.json"
# Which function sends each step's model request.
MODEL_STEP_FUNCTION = {"analysis": "analyze", "plan": "find_resolution", "recovery reply": "api"}
MEMORY_WRITE = ("bedrock-agentcore", "CreateEvent")
MEMORY_READS = ("ListEvents", "GetEvent", "ListSessions", "RetrieveMemoryRecords")


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    usd: float
    unit: str
    source: str


class Assumption(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    why: str


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    as_of: str
    region: str
    currency: str
    note: str
    prices: dict[str, Price]
    assumptions: dict[str, Assumption]

    def usd(self, name: str) -> float:
        return self.prices[name].usd

    def assumed(self, name: str, key: str) -> float:
        return float(getattr(self.assumptions[name], key))


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    return PriceTable.model_validate(json.loads(path.read_text()))


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    unit_usd: float

    @property
    def usd(self) -> float:
        return self.quantity * self.unit_usd


@dataclass(frozen=True)
class TicketCost:
    lines: list[Line]
    model_requests: int
    input_tokens: int
    output_tokens: int

    @property
    def usd(self) -> float:
        return sum(line.usd for line in self.lines)

    @property
    def model_usd(self) -> float:
        return sum(line.usd for line in self.lines if line.item.startswith("model"))


def output_tokens(record: StoryRecord) -> int:
    """The model's answers, estimated from their characters (a tool call's JSON input or the text)."""
    chars = sum(
        len(json.dumps(t.payload)) + len(t.name) if t.kind == "tool" else len(str(t.payload)) for t in record.answers
    )
    return estimated_tokens(chars)


def gb_seconds(record: StoryRecord, model_seconds: float) -> float:
    """Billed GB-seconds: each invocation rounded up to the millisecond, model waits added to their function."""
    total = 0.0
    memory = {i.function: i.memory_mb for i in record.invocations}
    for invocation in record.invocations:
        total += invocation.memory_mb / 1024 * (-(-invocation.seconds * 1000 // 1)) / 1000
    for step, _ in record.requests:
        total += memory[MODEL_STEP_FUNCTION[step]] / 1024 * model_seconds
    return total


def ticket_cost(record: StoryRecord, prices: PriceTable) -> TicketCost:
    calls = record.aws_calls
    sizes = [request_size(step, request) for step, request in record.requests]
    tokens_in = sum(s.tokens for s in sizes)
    tokens_out = output_tokens(record)
    model_seconds = prices.assumed("model_seconds_per_request", "value")
    api_requests = sum(1 for i in record.invocations if i.function == "api")
    lines = [
        Line("state transitions", record.state_transitions, prices.usd("step_functions_state_transition")),
        Line("function invocations", len(record.invocations), prices.usd("lambda_request")),
        Line("function GB-seconds", gb_seconds(record, model_seconds), prices.usd("lambda_gb_second")),
        Line("REST API requests", api_requests, prices.usd("api_gateway_request")),
        Line(
            "memory events written", calls[("bedrock-agentcore", "CreateEvent")], prices.usd("agentcore_memory_event")
        ),
        Line("SES emails", record.emails, prices.usd("ses_email")),
        Line("secret reads", calls[("secrets-manager", "GetSecretValue")], prices.usd("secrets_manager_api_call")),
        Line("model input tokens", tokens_in, prices.usd("model_input_token")),
        Line("model output tokens", tokens_out, prices.usd("model_output_token")),
    ]
    return TicketCost(lines, len(sizes), tokens_in, tokens_out)


def seed_cost(ours: TicketCost, prices: PriceTable) -> TicketCost:
    """The seed's story: its model requests and input (prices.json), our output per request and AWS usage."""
    seed = prices.assumptions["seed_story"]
    requests = int(getattr(seed, "model_requests"))  # noqa: B009 - an extra field of the price file
    tokens_in = estimated_tokens(int(getattr(seed, "input_characters")))  # noqa: B009
    tokens_out = round(ours.output_tokens / max(ours.model_requests, 1) * requests)
    lines = [line for line in ours.lines if not line.item.startswith("model")]
    lines += [
        Line("model input tokens", tokens_in, prices.usd("model_input_token")),
        Line("model output tokens", tokens_out, prices.usd("model_output_token")),
    ]
    return TicketCost(lines, requests, tokens_in, tokens_out)


def usage_table(record: StoryRecord) -> list[str]:
    """What the story used, before prices."""
    rows = [f"{'function':<18} {'invocations':>11} {'memory MB':>9} {'local ms (sum)':>15}"]
    by_function: dict[str, list[float]] = {}
    memory: dict[str, int] = {}
    for invocation in record.invocations:
        by_function.setdefault(invocation.function, []).append(invocation.seconds)
        memory[invocation.function] = invocation.memory_mb
    for function, seconds in sorted(by_function.items()):
        rows.append(f"{function:<18} {len(seconds):>11} {memory[function]:>9} {sum(seconds) * 1000:>15.0f}")
    reads = sum(
        n for (service, op), n in record.aws_calls.items() if service == "bedrock-agentcore" and op in MEMORY_READS
    )
    rows.append(
        f"state transitions {record.state_transitions}, memory events written "
        f"{record.aws_calls[MEMORY_WRITE]}, memory read calls {reads}, "
        f"SES emails {record.emails}, final status {record.final_state}"
    )
    return rows


def cost_table(ours: TicketCost, seed: TicketCost, prices: PriceTable) -> list[str]:
    rows = [
        f"cost per ticket, the seed's story (prices of {prices.as_of}, {prices.region}, benchmarks/prices.json)",
        f"{'item':<24} {'quantity':>12} {'unit USD':>12} {'USD':>10} {'seed USD':>10}",
    ]
    seed_lines = {line.item: line for line in seed.lines}
    for line in ours.lines:
        rows.append(
            f"{line.item:<24} {line.quantity:>12.6g} {line.unit_usd:>12.7g} {line.usd:>10.6f} "
            f"{seed_lines[line.item].usd:>10.6f}"
        )
    rows.append(
        f"{'total per ticket':<24} {'':>12} {'':>12} {ours.usd:>10.6f} {seed.usd:>10.6f}"
        f"   ({ours.model_requests} model requests vs the seed's {seed.model_requests})"
    )
    return rows
