"""What the bedrock-agentcore SDK costs each Lambda function: cold import and zipped bundle.

`python -m benchmarks.agentcore_sdk` (README, "AgentCore Memory through the SDK"):

1. Cold import of each handler module in a fresh interpreter with an empty bytecode
   cache (as Lambda starts), alone and followed by `import bedrock_agentcore.memory`
   (what an eager import of the SDK would add), against `import boto3` alone; and the
   SDK's import in the API function once boto3 is loaded, which is what the lazy
   import costs its first conversation call.
   CPU time of the importing process, medians; rounds interleave the statements.
2. The two code assets as `infra.bundling` builds them (pip, Linux wheels for the
   Lambda Python, botocore models pruned, the `ticketing` package copied), each with
   and without the SDK, zipped with deflate.
"""

from __future__ import annotations

import argparse
import os
import pkgutil
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
SDK_IMPORT = "import bedrock_agentcore.memory"
SDK_PACKAGE = "bedrock-agentcore"


def handler_modules() -> list[str]:
    found = pkgutil.iter_modules([str(FUNCTIONS / "ticketing" / "handlers")])
    return sorted(f"ticketing.handlers.{m.name}" for m in found)


def cold_import_ms(statements: list[str], repeats: int) -> dict[str, float]:
    """Median CPU milliseconds of each statement, each run in a fresh interpreter with no bytecode cache.

    CPU time, not wall time: on a shared machine, waiting for a core is noise.
    """
    samples: dict[str, list[float]] = {s: [] for s in statements}
    for _ in range(repeats):
        for statement in statements:
            code = f"import time; t = time.process_time(); {statement}; print(time.process_time() - t)"
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "PYTHONPYCACHEPREFIX": cache, "PYTHONPATH": str(FUNCTIONS)}
                out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            samples[statement].append(float(out.stdout.strip().splitlines()[-1]) * 1000)
    return {s: statistics.median(v) for s, v in samples.items()}


def requirement_lines(path: Path) -> list[str]:
    """The requirements of a file, `-r` includes expanded, comments dropped."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            lines += requirement_lines(path.parent / line.removeprefix("-r ").strip())
        elif line:
            lines.append(line)
    return lines


def sdk_pin() -> str:
    pins = [r for r in requirement_lines(FUNCTIONS / "requirements-agent.txt") if r.startswith(SDK_PACKAGE + "==")]
    if len(pins) != 1:
        raise SystemExit(f"expected one {SDK_PACKAGE} pin in requirements-agent.txt, found {pins}")
    return pins[0]


def asset_bytes(requirements: list[str], work: Path, name: str) -> int:
    """Build one code asset the way `infra.bundling.LocalPipBundling` does; its zipped size."""
    from infra.bundling import pip_command, slim_site, zipped_size  # deferred: loads the CDK

    site = work / name
    listing = work / f"{name}.txt"
    listing.write_text("\n".join(requirements) + "\n")
    subprocess.run(pip_command(listing, site), check=True)
    slim_site(site)
    shutil.copytree(FUNCTIONS / "ticketing", site / "ticketing", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return zipped_size(site)


def bundle_table() -> list[str]:
    pin = sdk_pin()
    assets = {
        "base (request_approval, execute, close_ticket, approval_monitor)": "requirements.txt",
        "agent (analyze, find_resolution, api)": "requirements-agent.txt",
    }
    rows = [f"{'asset':<66} {'without SDK':>12} {'with SDK':>10} {'added':>8}"]
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        for n, (label, file) in enumerate(assets.items()):
            without = [r for r in requirement_lines(FUNCTIONS / file) if not r.startswith(SDK_PACKAGE + "==")]
            plain = asset_bytes(without, work, f"{n}-without")
            with_sdk = asset_bytes([*without, pin], work, f"{n}-with")
            mb = 1024 * 1024
            rows.append(f"{label:<66} {plain / mb:9.2f} MB {with_sdk / mb:7.2f} MB {(with_sdk - plain) / mb:+5.2f} MB")
    return rows


def import_table(repeats: int) -> list[str]:
    modules = handler_modules()
    first_call = "import ticketing.handlers.api; import boto3"  # where the API is at its first AWS call
    statements = ["import boto3", first_call, f"{first_call}; {SDK_IMPORT}"]
    for module in modules:
        statements += [f"import {module}", f"import {module}; {SDK_IMPORT}"]
    ms = cold_import_ms(statements, repeats)
    boto3_ms = ms["import boto3"]
    title = f"cold import (CPU ms, median of {repeats})"
    rows = [f"{title:<44} {'alone':>7} {'+ SDK':>7} {'added':>7} {'vs boto3':>9}"]
    for module in modules:
        alone, with_sdk = ms[f"import {module}"], ms[f"import {module}; {SDK_IMPORT}"]
        rows.append(
            f"{module:<44} {alone:7.0f} {with_sdk:7.0f} {with_sdk - alone:+7.0f} "
            f"{alone / boto3_ms:4.2f}→{with_sdk / boto3_ms:4.2f}"
        )
    rows.append(f"{'import boto3 (the baseline)':<44} {boto3_ms:7.0f}")
    before, after = ms[first_call], ms[f"{first_call}; {SDK_IMPORT}"]
    rows.append(f"{'api, boto3 loaded: first conversation call':<44} {before:7.0f} {after:7.0f} {after - before:+7.0f}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="fresh interpreters per import statement (default 5)")
    parser.add_argument("--skip-imports", action="store_true", help="only build and zip the assets")
    parser.add_argument("--skip-bundles", action="store_true", help="only time the imports")
    args = parser.parse_args()
    if not args.skip_imports:
        print("\n".join(import_table(args.repeats)), flush=True)
    if not args.skip_bundles:
        print("\n".join(bundle_table()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
