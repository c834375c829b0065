"""Functions that never call a model never load Strands (it costs ~1 s of cold start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from ticketing.handlers import analyze, api, close_ticket, execute, find_resolution, request_approval
from ticketing.settings import Settings
from ticketing.wiring import Services
assert Services(Settings.from_env({"MEMORY_ID": "m", "MODEL_ID": "none"})).language_model is None
print(sorted(m for m in sys.modules if m == "strands" or m.startswith("strands.")))
"""


def test_no_handler_imports_strands_until_a_model_is_configured():
    # A fresh interpreter: other tests import strands into this one.
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "functions"), "MODEL_ID": "none", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_probe_would_see_strands_if_it_were_imported():
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace("import sys\n", "import sys\nimport strands\n", 1)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "functions"), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "'strands'" in done.stdout
