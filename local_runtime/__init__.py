"""Runs the synthesized supportflow stack on one machine: moto, in-process handlers, local HTTP."""
