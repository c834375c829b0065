"""`make bench`'s cost per ticket and model-input figures: the arithmetic and the price table (no timing here)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from benchmarks.cost import MEMORY_WRITE, load_prices, seed_cost, ticket_cost
from benchmarks.model_input import estimated_tokens, request_size
from benchmarks.story import Invocation, StoryRecord
from tests.scripted_model import Request, text, tool_call


def test_every_price_is_dated_and_says_where_it_comes_from():
    prices = load_prices()
    assert date.fromisoformat(prices.as_of)
    assert prices.prices and all(p.usd > 0 and p.source.startswith("https://") for p in prices.prices.values())


def test_a_request_counts_its_system_prompt_messages_and_tool_specs():
    request = Request(
        messages=[{"role": "user", "content": [{"text": "hi"}]}],
        system_prompt="be brief",
        tool_names=["PlanAnswer"],
        tool_choice=None,
        tool_specs=[{"name": "PlanAnswer"}],
    )
    size = request_size("plan", request)
    assert (size.system, size.tools) == (8, len('[{"name": "PlanAnswer"}]'))
    assert size.characters == 8 + len('[{"role": "user", "content": [{"text": "hi"}]}]') + size.tools
    assert size.tokens == estimated_tokens(size.characters) == -(-size.characters // 4)


def _record() -> StoryRecord:
    record = StoryRecord(
        requests=[("analysis", Request([], "x" * 400, [], None)), ("recovery reply", Request([], "y" * 40, [], None))],
        answers=[tool_call("T", {}), text("z" * 40)],
        invocations=[Invocation("analyze", 1024, 0.0995), Invocation("api", 512, 0.001)],
        aws_calls=Counter({MEMORY_WRITE: 3, ("secrets-manager", "GetSecretValue"): 1}),
        state_transitions=5,
        emails=2,
    )
    return record


def test_the_cost_per_ticket_prices_every_counted_item():
    prices = load_prices()
    cost = ticket_cost(_record(), prices)
    lines = {line.item: line.quantity for line in cost.lines}
    model_wait = prices.assumed("model_seconds_per_request", "value")
    assert lines["state transitions"] == 5
    assert lines["function invocations"] == 2
    assert lines["REST API requests"] == 1  # the API function's invocations
    # Billed per millisecond, rounded up; each model request keeps its function waiting.
    assert lines["function GB-seconds"] == pytest.approx(1.0 * 0.1 + 0.5 * 0.001 + 1.0 * model_wait + 0.5 * model_wait)
    assert (lines["memory events written"], lines["SES emails"], lines["secret reads"]) == (3, 2, 1)
    assert lines["model input tokens"] == estimated_tokens(400 + len("[]")) + estimated_tokens(40 + len("[]"))
    assert lines["model output tokens"] == estimated_tokens(len("{}") + len("T") + 40)
    assert {line.unit_usd for line in cost.lines} <= {price.usd for price in prices.prices.values()}
    assert cost.usd == pytest.approx(sum(line.quantity * line.unit_usd for line in cost.lines))


def test_the_seeds_cost_differs_only_in_its_model_requests():
    prices = load_prices()
    ours = ticket_cost(_record(), prices)
    seed = seed_cost(ours, prices)
    assert seed.model_requests == 7
    assert [line for line in seed.lines if not line.item.startswith("model")] == [
        line for line in ours.lines if not line.item.startswith("model")
    ]
    assert seed.input_tokens == estimated_tokens(18_000)
