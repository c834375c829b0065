"""The README's approval-policy section matches the code: the example policy, each action's risk, valid policies.

The risk table is generated from `resolution_catalog.json`, never copied by hand; after a catalog
change, paste what `python -c "from tests.unit.test_readme import risk_table; print(risk_table())"`
prints (the failing assertion shows it too).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ticketing.domain.catalog import load_catalog
from ticketing.domain.policy import parse_policy

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def risk_table() -> str:
    """Every catalog action's risk and reason, in catalog order, as the README shows it."""
    rows = ["| action | risk | why |", "| --- | --- | --- |"]
    for entry in load_catalog().categories.values():
        rows += [f"| `{a.action_id}` | {a.risk.value} | {a.risk_reason} |" for a in entry.steps]
    return "\n".join(rows) + "\n"


def executor_table() -> str:
    """Every catalog action's executor as the catalog declares it (the deployment default), in catalog order."""
    rows = ["| action | executor | without its configuration |", "| --- | --- | --- |"]
    for entry in load_catalog().categories.values():
        for a in entry.steps:
            fallback = "" if a.executor.kind.value == "simulated" else "simulated"
            rows.append(f"| `{a.action_id}` | {a.executor.describe()} | {fallback} |")
    return "\n".join(rows)


def _section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_readme_lists_every_catalog_actions_risk_as_the_catalog_has_it() -> None:
    section = _section("Approval policies")
    assert risk_table() in section, "paste this table into README.md, Approval policies:\n" + risk_table()


def test_the_readme_shows_the_example_policy_as_shipped() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", _section("Approval policies"), re.DOTALL)
    assert (ROOT / "policies" / "example.yaml").read_text() in blocks


def test_every_policy_the_readme_shows_is_valid() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", _section("Approval policies"), re.DOTALL)
    assert len(blocks) >= 2  # the example as shipped, and one with a timeline
    for block in blocks:
        parse_policy(yaml.safe_load(block), "a policy in README.md")  # raises InvalidPolicy naming the field


def test_the_readme_lists_every_catalog_actions_executor_as_the_catalog_declares_it() -> None:
    section = _section("Executors")
    assert executor_table() in section, "paste this table into README.md, Executors:\n" + executor_table()
