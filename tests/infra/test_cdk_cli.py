"""The project-local CDK CLI synthesizes the app with no AWS credentials and no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.mark.skipif(not (ROOT / "node_modules/.bin/cdk").exists(), reason="run `make install` (npm ci) first")
def test_npx_cdk_synth_succeeds_offline_without_credentials(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            # any attempt to reach the network fails fast through a dead proxy
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
            "CDK_DISABLE_VERSION_CHECK": "1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
    )
    out = tmp_path / "cdk.out"
    npx = shutil.which("npx")
    assert npx, "npx (Node.js) is required"
    result = subprocess.run(
        [npx, "cdk", "synth", "--quiet", "-c", "bundling=off", "-o", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    template = json.loads((out / "Supportflow.template.json").read_text())
    types = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::StepFunctions::StateMachine", "AWS::BedrockAgentCore::Memory", "AWS::ApiGateway::RestApi"} <= types
