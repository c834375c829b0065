"""Fixtures for the local runtime's emulation layers."""

from tests.local_runtime.emulated_memory import moto_memory_fixture

__all__ = ["moto_memory_fixture"]
