"""Figures the hardening tests measure (tokens tried, races run, fuzz cases), kept as artifacts.

Each test writes `tests/artifacts/<name>.json` and prints the same line (visible with `-s`),
so a run leaves the numbers the issue notes quote. The folder is not in git.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).parent / "artifacts"


def record(name: str, figures: dict[str, Any]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"\n[figures] {name}: {json.dumps(figures, sort_keys=True)}")
