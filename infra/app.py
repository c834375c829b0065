"""The CDK app: `npx cdk synth` / `npx cdk deploy` run this (see cdk.json)."""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.stack import SupportflowStack

STACK_NAME = "Supportflow"


def build_app(context: dict[str, object] | None = None, outdir: str | None = None) -> cdk.App:
    app = cdk.App(context=context or {}, outdir=outdir)
    if app.node.try_get_context("bundling") == "off":
        # `-c bundling=off`: stage function code as-is, no pip (offline synth, tests).
        app.node.set_context("aws:cdk:bundling-stacks", [])
    # Synthesis fails on any AwsSolutions finding that infra/nag.py does not acknowledge with a reason.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    SupportflowStack(
        app,
        STACK_NAME,
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
        description="supportflow: AI-assisted technical support with a human in the loop",
    )
    return app


if __name__ == "__main__":
    build_app().synth()
