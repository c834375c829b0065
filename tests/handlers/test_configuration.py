"""A function the stack left without a variable it needs fails at init, naming the variable.

Lambda imports the handler module at init; the settings are read there
(`settings_for(__name__)`), so the failure shows on the first cold start, not on
the first AWS call of some later invocation.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ticketing.contract import REQUIRED_ENV, Env
from ticketing.domain.policy import ApprovalPolicy
from ticketing.settings import MissingConfiguration

from .conftest import ImportHandler

ROOT = Path(__file__).resolve().parents[2]
# A complete environment, as the stack sets it.
COMPLETE = {
    **{name.value: f"value-of-{name.value.lower()}" for name in Env},
    Env.APPROVAL_LINK_TTL_SECONDS.value: "3600",
    Env.APPROVAL_TIMEOUT_SECONDS.value: "7200",
    Env.MODEL_ID.value: "none",
    Env.MAX_APPROVAL_ROUNDS.value: "3",
    Env.APPROVAL_POLICY.value: ApprovalPolicy.single_approver("approver@example.com").model_dump_json(),
    Env.EVENTS_INCLUDE_CUSTOMER_TEXT.value: "false",
    Env.WEBHOOK_URLS.value: '["https://hooks.example.com/supportflow"]',
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
REQUIRED = sorted((module, name.value) for module, names in REQUIRED_ENV.items() for name in names)


@pytest.fixture
def complete_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key, value in COMPLETE.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


@pytest.mark.parametrize("module", sorted(REQUIRED_ENV))
def test_each_handler_imports_with_the_stacks_environment(complete_env, import_handler: ImportHandler, module):
    assert callable(import_handler(module.rsplit(".", 1)[-1]).handler)


@pytest.mark.parametrize(("module", "name"), REQUIRED, ids=[f"{m.rsplit('.', 1)[-1]}-{n}" for m, n in REQUIRED])
@pytest.mark.parametrize("unset", ["missing", "blank"])
def test_a_handler_missing_a_required_variable_fails_at_import_naming_it(
    complete_env, import_handler: ImportHandler, module, name, unset
):
    if unset == "missing":
        complete_env.delenv(name)
    else:
        complete_env.setenv(name, "  ")
    with pytest.raises(MissingConfiguration, match=rf"lacks {name}\b"):
        import_handler(module.rsplit(".", 1)[-1])


def test_an_invalid_value_fails_at_import_naming_the_variable(complete_env, import_handler: ImportHandler):
    complete_env.setenv(Env.APPROVAL_LINK_TTL_SECONDS.value, "-1")
    with pytest.raises(MissingConfiguration, match=Env.APPROVAL_LINK_TTL_SECONDS.value):
        import_handler("request_approval")


def test_a_cold_start_without_configuration_stops_with_every_missing_name():
    """In a fresh interpreter, as Lambda's init: the error names everything the function lacks."""
    done = subprocess.run(
        [sys.executable, "-c", "import ticketing.handlers.api"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "functions"), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode != 0
    (last_line,) = done.stderr.strip().splitlines()[-1:]
    assert last_line.startswith("ticketing.settings.MissingConfiguration:"), done.stderr
    expected = ", ".join(sorted(name.value for name in REQUIRED_ENV["ticketing.handlers.api"]))
    assert f"lacks {expected};" in last_line
