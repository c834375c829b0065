"""The tests run on the Python the Lambda functions run on, and every tool targets that Python."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from infra.bundling import LAMBDA_PYTHON_VERSION, LAMBDA_RUNTIME, pip_command

ROOT = Path(__file__).resolve().parents[2]


def test_the_tests_run_on_the_lambda_runtimes_python():
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert running == LAMBDA_PYTHON_VERSION, (
        f"tests run on Python {running}, the functions on {LAMBDA_PYTHON_VERSION}: rebuild the venv (make install)"
    )
    assert LAMBDA_RUNTIME.name == f"python{LAMBDA_PYTHON_VERSION}"


def test_the_bundled_wheels_are_for_the_runtimes_python():
    command = pip_command(Path("requirements.txt"), Path("out"))
    assert command[command.index("--python-version") + 1] == LAMBDA_PYTHON_VERSION


def test_packaging_linters_and_pyenv_name_the_same_python():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={LAMBDA_PYTHON_VERSION}"
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{LAMBDA_PYTHON_VERSION.replace('.', '')}"
    assert pyproject["tool"]["mypy"]["python_version"] == LAMBDA_PYTHON_VERSION
    assert (ROOT / ".python-version").read_text().strip() == LAMBDA_PYTHON_VERSION


def test_the_makefile_builds_the_test_venv_from_the_runtimes_python():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^LAMBDA_PYTHON := .*LAMBDA_PYTHON_VERSION.*infra/bundling\.py\)$", makefile, re.M)
    assert re.search(r"^PYTHON \?= python\$\(LAMBDA_PYTHON\)$", makefile, re.M)
