"""The Lambda assets as `cdk deploy` would upload them: built by pip on this machine, no Docker.

This is the one synthesis with bundling on (seconds to a minute: pip fetches Linux
wheels). It writes each function's zipped size to tests/artifacts/bundle-sizes.txt.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infra.app import STACK_NAME, build_app
from infra.bundling import BOTOCORE_SERVICES, LAMBDA_PYTHON_VERSION, zipped_size
from infra.components.functions import SPECS

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
REPOSITORY = Path(__file__).resolve().parents[2]
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
    assert len(assets) == len(SPECS)  # one asset per function the stack declares
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


def run_in_asset(directory: Path, code: str, *, module: str = "test", extra_path: str = "") -> str:
    """Run `code` on only what the asset holds (no site-packages), with the stack's settings; its stdout."""
    from benchmarks.bench import STACK_ENVIRONMENT

    environment = {
        **STACK_ENVIRONMENT,
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(directory) + (f":{extra_path}" if extra_path else ""),
        "AWS_LAMBDA_FUNCTION_NAME": module,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    done = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, env=environment, timeout=120
    )
    assert done.returncode == 0, f"{module}: {done.stderr[-2000:]}"
    return done.stdout


def test_every_handler_loads_from_its_own_bundle_as_lambda_starts_it(assets):
    # Only what the asset holds (its botocore models included), and the tracer on, as in Lambda.
    for module, directory in sorted(assets.items()):
        run_in_asset(directory, f"import ticketing.handlers.{module}", module=module)


# One call per kept service, as the code makes it; the request is caught just before it is sent.
ONE_CALL_PER_SERVICE = """
import json, sys, boto3

class Caught(Exception):
    pass

def catch(request, **_):
    raise Caught(request)

CALLS = {
    "bedrock-agentcore": (
        "list_events", {"memoryId": "memory-0123456789", "sessionId": "session-1", "actorId": "actor-1"}
    ),
    "bedrock-runtime": (
        "converse",
        {"modelId": "us.anthropic.claude-sonnet-4-6", "messages": [{"role": "user", "content": [{"text": "hi"}]}]},
    ),
    "cognito-idp": ("admin_get_user", {"UserPoolId": "us-east-1_Example1", "Username": "u"}),
    "events": ("put_events", {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}"}]}),
    "secretsmanager": ("get_secret_value", {"SecretId": "s"}),
    "sesv2": ("send_email", {
        "FromEmailAddress": "a@example.com",
        "Destination": {"ToAddresses": ["b@example.com"]},
        "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    }),
    "sqs": ("send_message", {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q", "MessageBody": "b"}),
    "ssm": ("send_command", {"DocumentName": "d", "InstanceIds": ["i-1"]}),
    "stepfunctions": ("describe_execution", {"executionArn": "arn:aws:states:us-east-1:1:execution:m:e"}),
    "sts": ("get_caller_identity", {}),
    "xray": ("put_trace_segments", {"TraceSegmentDocuments": ["{}"]}),
}
sent = {}
for service, (method, params) in CALLS.items():
    client = boto3.session.Session().client(service, region_name="us-east-1")
    client.meta.events.register("before-send", catch)
    try:
        getattr(client, method)(**params)
    except Caught as caught:
        request = caught.args[0]
        body = request.body or b""
        sent[service] = {
            "url": request.url,
            "signed": "Authorization" in request.headers,
            "body": body.decode() if isinstance(body, bytes) else body,
        }
boto3.session.Session().client("stepfunctions", region_name="us-east-1").get_paginator("list_executions")
print(json.dumps(sent))
"""


def test_each_kept_botocore_model_builds_its_client_and_a_signed_request_without_its_documentation(assets):
    lean = assets["execute"]
    import botocore

    assert list(lean.glob(f"botocore-{botocore.__version__}.dist-info")), "compared with the same botocore below"
    models = sorted((lean / "botocore" / "data").glob("*/*/service-2.json.gz"))
    assert {m.parts[-3] for m in models} == BOTOCORE_SERVICES
    for model in models:
        data = json.loads(gzip.decompress(model.read_bytes()))
        assert data["operations"] and data["shapes"] and data["metadata"]["protocol"], model
        assert "documentation" not in data and all("documentation" not in s for s in data["shapes"].values())
    assert not list((lean / "botocore" / "data").glob("*/*/examples-1.json"))
    sent = json.loads(run_in_asset(lean, ONE_CALL_PER_SERVICE))
    assert set(sent) == BOTOCORE_SERVICES
    for service, request in sent.items():
        assert request["url"].startswith("https://") and ".amazonaws.com" in request["url"], service
        assert request["signed"], service
    # Byte for byte what botocore sends with its full models (the same pinned version, documentation and all).
    full = subprocess.run(
        [sys.executable, "-c", ONE_CALL_PER_SERVICE],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )
    assert json.loads(full.stdout) == sent


AGENT_RUN = """
from datetime import UTC, datetime
from tests.scripted_model import ScriptedModel, tool_call
from ticketing.agents import analyst
from ticketing.domain.models import Ticket
from ticketing.agents.bedrock import bedrock_model
import bedrock_agentcore.memory

answer = {"category": "network", "severity": "high", "summary": "No internet.",
          "signals": ["no internet"], "explanation": "An outage."}
ticket = Ticket(ticket_id="tkt-20261125-0123456789ab", customer_id="c", customer_email="c@example.com",
                subject="", description="The office lost internet.", submitted_at=datetime.now(UTC))
analysis = analyst.analyze(ticket, ScriptedModel([tool_call("TriageAnswer", answer)]), "m")
assert (analysis.source, analysis.provenance.fallback_reason) == ("model", ""), analysis
bedrock_model("us.anthropic.claude-sonnet-4-6", "us-east-1")
import sys
print(sorted(name for name in ("cryptography", "cffi", "jwt", "mcp") if name in sys.modules))
"""


def test_an_agent_answers_from_the_agent_asset_without_the_packages_bundling_drops(assets):
    agent = assets["analyze"]
    assert not (agent / "cryptography").exists() and not list(agent.glob("_cffi_backend.*"))
    # The real Strands Agent on a scripted model (from the repository's tests; the rest from the asset).
    loaded = run_in_asset(agent, textwrap.dedent(AGENT_RUN), module="analyze", extra_path=str(REPOSITORY))
    assert loaded.strip() == "[]"


def test_bundling_drops_what_nothing_loads_at_run_time(assets):
    for directory in set(assets.values()):
        assert not list(directory.rglob("*.pyi")), directory
        assert not list(directory.glob("*.dist-info/RECORD")), directory
        assert list(directory.glob("boto3-*.dist-info/METADATA")), "importlib.metadata still finds versions"
        assert not list((directory / "aws_lambda_powertools").rglob("*.min.js")), directory


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
