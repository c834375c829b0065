"""Fixtures for the local runtime's emulation layers."""

from tests.local_runtime.emulated_memory import moto_memory_fixture as moto_memory

__all__ = ["moto_memory"]
