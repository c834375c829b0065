"""Runs the synthesized supportflow stack on one machine: moto, in-process handlers, local HTTP."""

import os

# jsii (under aws-cdk-lib) prints a Node end-of-life banner on Node 20 unless told not to.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
