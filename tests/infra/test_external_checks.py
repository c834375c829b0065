"""Checks by tools outside the project: cdk-nag (AwsSolutions), cfn-lint and an ASL validator."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from aws_cdk import aws_secretsmanager as secretsmanager

from infra.app import STACK_NAME, build_app
from tests.infra.conftest import state_machine_definition

ROOT = Path(__file__).resolve().parents[2]


def nag_report(cloud_assembly: Path) -> dict:
    reports = json.loads((cloud_assembly / "validation-report.json").read_text())["pluginReports"]
    (report,) = [r for r in reports if r["pluginName"] == "AwsSolutions"]
    return report


def test_cdk_nag_finds_nothing_unacknowledged(cloud_assembly):
    report = nag_report(cloud_assembly)
    assert report["conclusion"] == "success"
    assert report["violations"] == []


def test_every_acknowledged_nag_finding_says_why(cloud_assembly):
    suppressed = nag_report(cloud_assembly)["suppressedViolations"]
    assert suppressed, "the stack acknowledges findings; the report must list them"
    for finding in suppressed:
        assert len(finding["reason"]) >= 80, finding["ruleName"]
        # acknowledged on the construct concerned (or its parent), never for the whole app
        assert finding["acknowledgedAt"].startswith(f"{STACK_NAME}/"), finding


@pytest.mark.slow  # a synthesis of its own (the stack with an extra construct)
def test_an_unacknowledged_finding_fails_synthesis(tmp_path):
    app = build_app({"bundling": "off"}, outdir=str(tmp_path))
    stack = app.node.find_child(STACK_NAME)
    secretsmanager.Secret(stack, "UnrotatedSecret")  # AwsSolutions-SMG4, not acknowledged here
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    violations = nag_report(tmp_path)["violations"]
    assert [v["ruleName"] for v in violations] == ["AwsSolutions-SMG4"]
    assert violations[0]["violatingConstructs"][0]["constructPath"] == f"{STACK_NAME}/UnrotatedSecret/Resource"


@pytest.mark.slow  # cfn-lint loads its AWS resource specs: seconds
def test_cfn_lint_finds_no_errors_or_warnings(cloud_assembly):
    cfn_lint = shutil.which("cfn-lint", path=str(ROOT / ".venv/bin")) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is a dev dependency: run `make install`"
    result = subprocess.run(
        # W3005: CDK adds DependsOn on role policies that a GetAtt already implies; harmless by design.
        [cfn_lint, "--ignore-checks", "W3005", "--", str(cloud_assembly / f"{STACK_NAME}.template.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def asl_validator(definition_path: Path) -> subprocess.CompletedProcess[str]:
    validator = ROOT / "node_modules/.bin/asl-validator"
    assert validator.exists(), "asl-validator comes from package.json: run `make install`"
    return subprocess.run(
        [str(validator), "--json-path", str(definition_path)], capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow  # asl-validator starts Node
def test_the_state_machine_definition_is_valid_amazon_states_language(cloud_assembly, tmp_path):
    template = json.loads((cloud_assembly / f"{STACK_NAME}.template.json").read_text())
    path = tmp_path / "definition.asl.json"
    path.write_text(json.dumps(state_machine_definition(template)))
    result = asl_validator(path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # asl-validator starts Node
def test_the_asl_validator_rejects_a_broken_definition(cloud_assembly, tmp_path):
    """The check above can fail: a Next that names no state is caught."""
    template = json.loads((cloud_assembly / f"{STACK_NAME}.template.json").read_text())
    definition = state_machine_definition(template)
    definition["States"]["Analyze issue"]["Next"] = "No such state"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(definition))
    assert asl_validator(path).returncode != 0
