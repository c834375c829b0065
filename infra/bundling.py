"""Builds the Lambda code assets on this machine, without Docker.

pip installs a requirements file as Linux wheels for the Lambda Python version
(`--only-binary=:all:` so nothing is compiled for the build machine), then the
`ticketing` package is copied beside them. Two assets exist: the base one and
the agent one (base + strands-agents), so functions that run no model never
carry the agent SDK. botocore's service models are pruned to the services the
functions call: they are 28 of botocore's 30 MB, and most of every zip.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
# The tests run on this Python too (the Makefile reads it from here, .python-version names it for
# pyenv, tests/unit/test_python_versions.py holds it). 3.13, not the newest runtime (3.14), because
# 3.14 is not installed on the machine that runs the tests; infra/nag.py acknowledges AwsSolutions-L1.
LAMBDA_PYTHON_VERSION = "3.13"
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_13
LAMBDA_PLATFORM = "manylinux2014_x86_64"
# Every AWS API the Lambda code calls (ticketing.adapters, and bedrock-runtime for strands), and xray:
# the X-Ray SDK behind Powertools' Tracer builds an X-Ray client when it loads, and fails without its model.
BOTOCORE_SERVICES = frozenset(
    {
        "bedrock-agentcore",
        "bedrock-runtime",
        "cognito-idp",
        "events",
        "secretsmanager",
        "sesv2",
        "sqs",
        "ssm",
        "stepfunctions",
        "sts",
        "xray",
    }
)
BASE_REQUIREMENTS = "requirements.txt"
AGENT_REQUIREMENTS = "requirements-agent.txt"


def pip_command(requirements: Path, target: Path) -> list[str]:
    """The pip call that fills an asset: Linux wheels only, for the Lambda Python, no .pyc files."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--requirement",
        str(requirements),
        "--target",
        str(target),
        "--platform",
        LAMBDA_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",
    ]


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    def __init__(self, requirements: str) -> None:
        self.requirements = requirements

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_: object) -> bool:
        out = Path(output_dir)
        subprocess.run(pip_command(FUNCTIONS_DIR / self.requirements, out), check=True)
        slim_site(out)
        shutil.copytree(
            FUNCTIONS_DIR / "ticketing",
            out / "ticketing",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        return True


def prune_botocore_models(site: Path) -> None:
    """Keep botocore's shared data files and the models of BOTOCORE_SERVICES; drop the other services."""
    for entry in (site / "botocore" / "data").iterdir():
        if entry.is_dir() and entry.name not in BOTOCORE_SERVICES:
            shutil.rmtree(entry)


# Files pip installs that nothing imports or reads at run time: type stubs, pip's install records (the
# metadata that importlib.metadata reads stays), boto3's resource models (the code builds clients only),
# and the Swagger UI that Powertools serves only after `enable_swagger()`, which the API never calls.
SWAGGER_UI = "aws_lambda_powertools/event_handler/openapi/swagger_ui"
UNUSED_AT_RUN_TIME = (
    "**/*.pyi",
    "*.dist-info/RECORD",
    "*.dist-info/INSTALLER",
    "boto3/data/*/",
    "boto3/examples/",
    f"{SWAGGER_UI}/*.min.js",
    f"{SWAGGER_UI}/*.min.css",
    # The agent asset: cryptography (4.5 of its 15 MB zipped) and the cffi it is built on come with
    # strands' MCP client (mcp -> pyjwt[crypto], for MCP's OAuth). The agents call Bedrock and use no
    # MCP server, so none of it is imported; tests/infra/test_bundling.py runs an agent from the asset.
    "cryptography/",
    "cryptography-*.dist-info/",
    "cffi/",
    "cffi-*.dist-info/",
    "_cffi_backend.*.so",
    "pycparser/",
    "pycparser-*.dist-info/",
)
# What a shape, an operation or a reference to a shape may carry that botocore reads only to write docs.
DOCUMENTATION_KEYS = ("documentation", "documentationUrl")


def slim_site(site: Path) -> None:
    """Everything bundling removes from what pip installed: unused botocore models, docs and files."""
    prune_botocore_models(site)
    for model in sorted((site / "botocore" / "data").glob("*/*/service-2.json*")):
        strip_model_documentation(model)
    for examples in (site / "botocore" / "data").glob("*/*/examples-1.json*"):
        examples.unlink()  # read only by botocore.docs, to write the examples of the API reference
    for pattern in UNUSED_AT_RUN_TIME:
        for path in sorted(site.glob(pattern)):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def strip_model_documentation(model: Path) -> None:
    """Rewrite one service model without its documentation strings; botocore reads them only for docs.

    Only where the model's schema puts documentation (the service, operations, shapes, members and
    the shape references of operations and shapes), so a member named "documentation" stays.
    The rewrite is byte-for-byte reproducible (gzip without a time stamp), so the asset hash holds.
    """
    gzipped = model.suffix == ".gz"
    data = json.loads(gzip.decompress(model.read_bytes()) if gzipped else model.read_bytes())

    def drop(node: dict[str, object]) -> None:
        for key in DOCUMENTATION_KEYS:
            node.pop(key, None)

    drop(data)
    for operation in data.get("operations", {}).values():
        drop(operation)
        for ref in (operation.get("input"), operation.get("output"), *operation.get("errors", [])):
            if isinstance(ref, dict):
                drop(ref)
    for shape in data.get("shapes", {}).values():
        drop(shape)
        for ref in (*shape.get("members", {}).values(), shape.get("member"), shape.get("key"), shape.get("value")):
            if isinstance(ref, dict):
                drop(ref)
    text = json.dumps(data, separators=(",", ":")).encode()
    model.write_bytes(gzip.compress(text, mtime=0) if gzipped else text)


def function_code(requirements: str = BASE_REQUIREMENTS) -> lambda_.Code:
    """The code asset for one requirements file (shared by the functions that need it)."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        exclude=["**/__pycache__", "*.pyc"],
        bundling=BundlingOptions(
            image=LAMBDA_RUNTIME.bundling_image,
            local=LocalPipBundling(requirements),
            # Never run: local bundling always succeeds or raises. Docker is not used. The variable
            # keeps the two assets' bundling options, and so their hashes, apart.
            command=["echo", "local bundling only"],
            environment={"SUPPORTFLOW_REQUIREMENTS": requirements},
        ),
    )


def zipped_size(directory: Path) -> int:
    """The bytes of `directory` zipped as Lambda receives its code (deflated)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory))
    return buffer.tell()
