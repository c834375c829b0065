"""Which executor runs each action: as the catalog declares, as configuration overrides, simulated if unconfigured."""

from __future__ import annotations

import pytest

from tests.conftest import make_ticket
from ticketing.adapters.executors import CatalogResolutionExecutor, SimulatedResolutionExecutor
from ticketing.domain.catalog import load_catalog
from ticketing.domain.execution import ActionExecutor, ExecutorKind, InvalidExecutorOverrides, parse_overrides
from ticketing.domain.models import ResolutionStep, StepResult, Ticket, utc_now

TICKET = make_ticket()
CATALOG = load_catalog()


class Recording:
    def __init__(self, name: str) -> None:
        self.name = name
        self.ran: list[tuple[str, ActionExecutor]] = []

    def run(self, ticket: Ticket, step: ResolutionStep, how: ActionExecutor) -> StepResult:
        self.ran.append((step.action_id, how))
        return StepResult(action_id=step.action_id, status="succeeded", detail="", finished_at=utc_now())


def step(action_id: str) -> ResolutionStep:
    return CATALOG.actions()[action_id]


def test_each_action_goes_to_the_executor_its_catalog_entry_declares():
    identity, device = Recording("identity"), Recording("device")
    executor = CatalogResolutionExecutor(
        CATALOG.executors(), {ExecutorKind.IDENTITY: identity, ExecutorKind.DEVICE: device}
    )
    executor.run(TICKET, step("account.reset-password"))
    executor.run(TICKET, step("network.check-connection-status"))
    assert [(a, h.operation) for a, h in identity.ran] == [("account.reset-password", "reset-password")]
    assert [(a, h.command) for a, h in device.ran] == [("network.check-connection-status", "check-connection")]


def test_an_executor_the_deployment_has_not_configured_runs_simulated_and_says_so():
    result = CatalogResolutionExecutor(CATALOG.executors(), {}).run(TICKET, step("account.reset-password"))
    assert (result.status, result.executor) == ("succeeded", "simulated")
    assert result.detail.startswith("Simulated (identity actions are not configured in this deployment)")


def test_configuration_overrides_the_catalog_per_action():
    overrides = parse_overrides('{"account.reset-password": "simulated"}', set(CATALOG.actions()))
    identity = Recording("identity")
    executor = CatalogResolutionExecutor(CATALOG.executors(overrides), {ExecutorKind.IDENTITY: identity})
    assert executor.run(TICKET, step("account.reset-password")).executor == "simulated"
    executor.run(TICKET, step("account.unlock-account"))
    assert [a for a, _ in identity.ran] == ["account.unlock-account"]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '["account.reset-password"]',
        '{"shell.rm-rf": "simulated"}',
        '{"account.reset-password": "teleport"}',
        '{"account.reset-password": {"kind": "device"}}',
        '{"account.reset-password": {"kind": "device", "command": "rm -rf /"}}',
    ],
)
def test_bad_overrides_are_refused_with_a_reason(text: str):
    with pytest.raises(InvalidExecutorOverrides):
        parse_overrides(text, set(CATALOG.actions()))


def test_the_simulated_executor_changes_nothing_and_is_named_so():
    result = SimulatedResolutionExecutor().run(TICKET, step("network.restart-router"))
    assert result.executor == "simulated" and "no system was changed" in result.detail
