"""The Lambda assets as `cdk deploy` would upload them: built by pip on this machine, no Docker.

This is the one synthesis with bundling on (seconds to a minute: pip fetches Linux
wheels). It writes each function's zipped size to tests/artifacts/bundle-sizes.txt.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.app import STACK_NAME, build_app
from infra.bundling import BOTOCORE_SERVICES, LAMBDA_PYTHON_VERSION, zipped_size

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
MODEL_FUNCTIONS = {"analyze", "find_resolution", "revise_plan", "api"}
ABI = f"cpython-{LAMBDA_PYTHON_VERSION.replace('.', '')}-x86_64-linux-gnu"


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Handler module name -> the directory CDK would zip for that function."""
    out = tmp_path_factory.mktemp("bundled")
    build_app({}, outdir=str(out)).synth()
    template = json.loads((out / f"{STACK_NAME}.template.json").read_text())
    found = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            module = resource["Properties"]["Handler"].split(".")[2]
            asset_hash = resource["Properties"]["Code"]["S3Key"].removesuffix(".zip")
            found[module] = out / f"asset.{asset_hash}"
    return found


def test_every_function_ships_its_handler_module(assets):
    assert len(assets) == 13
    for module, directory in assets.items():
        assert (directory / "ticketing" / "handlers" / f"{module}.py").is_file(), module


def test_every_function_ships_the_data_files_of_the_package(assets):
    package = Path(__file__).resolve().parents[2] / "functions"
    data_files = {p.relative_to(package) for p in (package / "ticketing").rglob("*.json")}
    assert {Path("ticketing/domain/resolution_catalog.json"), Path("ticketing/domain/triage_cues.json")} <= data_files
    for directory in assets.values():
        for data_file in data_files:
            assert (directory / data_file).read_bytes() == (package / data_file).read_bytes(), data_file


def test_compiled_dependencies_are_linux_wheels_for_the_lambda_python(assets):
    for directory in assets.values():
        extensions = list((directory / "pydantic_core").glob("_pydantic_core.*.so"))
        assert [e.name for e in extensions] == [f"_pydantic_core.{ABI}.so"]
        assert not list(directory.rglob("*.pyc")), "pip ran with --no-compile"


def test_only_the_functions_that_run_a_model_carry_strands(assets):
    for module, directory in assets.items():
        carries = (directory / "strands").is_dir()
        assert carries == (module in MODEL_FUNCTIONS), module


def test_only_the_agent_asset_carries_the_agentcore_sdk(assets):
    # The API keeps conversation turns through it; the lean functions stay on raw boto3 (README).
    for module, directory in assets.items():
        assert (directory / "bedrock_agentcore").is_dir() == (module in MODEL_FUNCTIONS), module


def test_functions_share_two_assets_and_each_zip_fits_lambda(assets):
    assert len({directory.name for directory in assets.values()}) == 2
    ARTIFACTS.mkdir(exist_ok=True)
    lines = []
    for module, directory in sorted(assets.items()):
        size = zipped_size(directory)
        assert size < 50 * 1024 * 1024, f"{module}: {size} bytes is over Lambda's 50 MB zip limit"
        lines.append(f"{module:<18} {size / 1024 / 1024:6.1f} MB zipped  ({directory.name})")
    (ARTIFACTS / "bundle-sizes.txt").write_text("\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))


def test_every_handler_loads_from_its_own_bundle_as_lambda_starts_it(assets):
    # Only what the asset holds (its botocore models included), and the tracer on, as in Lambda.
    from benchmarks.bench import STACK_ENVIRONMENT

    for module, directory in sorted(assets.items()):
        environment = {
            **STACK_ENVIRONMENT,
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(directory),
            "AWS_LAMBDA_FUNCTION_NAME": module,
            "AWS_REGION": "us-east-1",
        }
        done = subprocess.run(
            [sys.executable, "-S", "-c", f"import ticketing.handlers.{module}"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )
        assert done.returncode == 0, f"{module}: {done.stderr[-2000:]}"


def services_the_code_calls() -> set[str]:
    """Every `client("<service>", ...)` in the Lambda code, plus strands' Bedrock runtime client."""
    source = Path(__file__).resolve().parents[2] / "functions" / "ticketing"
    found = set()
    for path in source.rglob("*.py"):
        found |= set(re.findall(r'client\(\s*"([a-z0-9-]+)"', path.read_text()))
    return found | {"bedrock-runtime", "xray"}


def test_botocore_keeps_the_models_of_every_service_the_code_calls_and_no_others(assets):
    assert services_the_code_calls() <= BOTOCORE_SERVICES
    for directory in assets.values():
        kept = {p.name for p in (directory / "botocore" / "data").iterdir() if p.is_dir()}
        assert kept == BOTOCORE_SERVICES
        assert (directory / "botocore" / "data" / "endpoints.json").is_file()
