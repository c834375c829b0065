"""The approval policy: validation with a sentence naming the field, and routing (first match wins)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ticketing.domain.catalog import load_catalog
from ticketing.domain.models import Category, ResolutionPlan, Risk, Severity
from ticketing.domain.policy import ApprovalPolicy, InvalidPolicy, parse_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = parse_policy(yaml.safe_load((ROOT / "policies" / "example.yaml").read_text()))
GOOD = {"groups": {"leads": ["a@example.com"]}, "rules": [{"name": "all", "group": "leads"}]}


def test_the_example_routes_account_tickets_to_two_admins_and_the_rest_to_one_lead():
    account = EXAMPLE.rule_for(Category.ACCOUNT, Severity.LOW, Risk.HIGH)
    assert (account.group, account.approvals, len(EXAMPLE.members(account.group))) == ("account-admins", 2, 2)
    for category in (Category.NETWORK, Category.SOFTWARE, Category.HARDWARE, Category.GENERAL):
        other = EXAMPLE.rule_for(category, Severity.HIGH, Risk.MEDIUM)
        assert (other.group, other.approvals) == ("support-leads", 1)


def test_the_default_policy_is_the_configured_approver_alone():
    default = parse_policy(yaml.safe_load((ROOT / "policies" / "default.yaml").read_text()))
    routed = default.with_approver("jo@example.com")
    rule = routed.rule_for(Category.NETWORK, Severity.MEDIUM, Risk.MEDIUM)
    assert (routed.members(rule.group), rule.approvals) == (["jo@example.com"], 1)
    assert routed == ApprovalPolicy.single_approver("jo@example.com").model_copy(
        update={"rules": routed.rules, "groups": routed.groups}
    )


def test_the_first_matching_rule_wins_on_category_severity_and_risk():
    policy = parse_policy(
        {
            "groups": {"ops": ["o@example.com"], "sec": ["s@example.com"], "all": ["x@example.com"]},
            "rules": [
                {"name": "risky", "match": {"risks": ["high"]}, "group": "sec"},
                {
                    "name": "urgent network",
                    "match": {"categories": ["network"], "severities": ["high"]},
                    "group": "ops",
                },
                {"name": "rest", "group": "all"},
            ],
        }
    )
    assert policy.rule_for(Category.NETWORK, Severity.HIGH, Risk.HIGH).name == "risky"
    assert policy.rule_for(Category.NETWORK, Severity.HIGH, Risk.LOW).name == "urgent network"
    assert policy.rule_for(Category.NETWORK, Severity.LOW, Risk.LOW).name == "rest"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"rules": [{"name": "all", "group": "nobody"}]}, "rules[0] ('all').group: no group named 'nobody'"),
        (
            {"rules": [{"name": "all", "group": "leads", "approvals": 2}]},
            "approvals: 2 approvals needed but group 'leads' has 1",
        ),
        (
            {"rules": [{"name": "x", "match": {"categories": ["account"]}, "group": "leads"}]},
            "the last rule must match every ticket",
        ),
        ({"groups": {"leads": ["not-an-address"]}}, "'not-an-address' is not an email address"),
        ({"groups": {"leads": []}}, "group 'leads' has no members"),
        ({"groups": {"leads": ["a@example.com", "A@example.com"]}}, "names an address twice"),
        ({"rules": []}, "rules"),
        ({"rules": [{"name": "all", "group": "leads", "remind_after": "125%"}]}, "remind_after"),
        (
            {"rules": [{"name": "all", "group": "leads", "escalation": [{"after": "50%", "group": "nobody"}]}]},
            "escalation[0].group: no group named",
        ),
        ({"rules": [{"name": "all", "group": "leads", "auto_approve": True}]}, "auto_approve"),
        ({"rules": [{"name": "all", "match": {"categories": ["printers"]}, "group": "leads"}]}, "categories"),
        ({"version": 2}, "version"),
    ],
)
def test_a_bad_policy_is_refused_with_a_sentence_naming_the_field(change, words):
    with pytest.raises(InvalidPolicy) as refused:
        parse_policy({**GOOD, **change}, "policies/bad.yaml")
    assert str(refused.value).startswith("policies/bad.yaml is not valid: ") and words in str(refused.value)


def test_every_catalog_action_has_a_risk_and_a_reason_and_a_plan_is_as_risky_as_its_riskiest_step():
    catalog = load_catalog()
    assert all(a.risk in Risk and a.risk_reason for a in catalog.risks().values())
    assert catalog.risks()["account.unlock-account"].risk is Risk.HIGH
    assert catalog.risks()["general.gather-details"].risk is Risk.LOW
    low = ResolutionPlan(
        category=Category.GENERAL, steps=[catalog.actions()["general.gather-details"]], customer_message="m"
    )
    mixed = low.model_copy(update={"steps": [*low.steps, catalog.actions()["account.unlock-account"]]})
    assert (catalog.plan_risk(low), catalog.plan_risk(mixed)) == (Risk.LOW, Risk.HIGH)
