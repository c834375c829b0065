"""Approval policy: which group approves a plan, and how many of its members must, as data.

A policy names approver groups and rules; the first rule whose match holds for the
ticket's category, severity and plan risk wins. A rule names its group and how many
distinct approvals it needs. The policy is validated when the stack is synthesized and
when a function starts: a bad one fails with a sentence naming the field.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from .models import EMAIL, Category, Model, Risk, Severity

GroupName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
# A placeholder the stack replaces with its configured approver (CDK context `approver_email`).
CONFIGURED_APPROVER = "${approver_email}"


class InvalidPolicy(ValueError):
    """The approval policy breaks a rule; the message names the field."""


class RuleMatch(Model):
    """What a rule applies to; an empty list matches anything."""

    categories: list[Category] = Field(default_factory=list)
    severities: list[Severity] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)

    def holds(self, category: Category, severity: Severity, risk: Risk) -> bool:
        return (
            (not self.categories or category in self.categories)
            and (not self.severities or severity in self.severities)
            and (not self.risks or risk in self.risks)
        )

    @property
    def everything(self) -> bool:
        return not (self.categories or self.severities or self.risks)


# A share of the approval wait, such as "25%": reminders and escalations happen that far into it.
Share = Annotated[str, StringConstraints(pattern=r"^([1-9]|[1-9][0-9])%$")]


def share_of(share: str) -> float:
    return int(share.removesuffix("%")) / 100


class EscalationStep(Model):
    """After this share of the wait, the next group is asked too, each member with a link of their own."""

    after: Share
    group: GroupName


class PolicyRule(Model):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    match: RuleMatch = Field(default_factory=RuleMatch)
    group: GroupName
    # How many distinct members of the group must approve the same plan.
    approvals: int = Field(default=1, ge=1, le=10)
    # After this share of the wait, those asked who have not answered get a reminder (once).
    remind_after: Share | None = None
    # Who is asked next, and when, while nobody has decided.
    escalation: list[EscalationStep] = Field(default_factory=list)
    # Whether the links of those asked before an escalation keep working (until a decision).
    earlier_links_stay_valid: bool = True
    # The policy itself approves a plan whose every action is low risk; recorded as decided by the policy.
    auto_approve_low_risk: bool = False

    def timeline(self, wait_seconds: int) -> list[TimedStep]:
        """The reminder and the escalations of a round, in order, as seconds into the wait."""
        steps = (
            [TimedStep(at=round(share_of(self.remind_after) * wait_seconds), kind="remind")]
            if self.remind_after
            else []
        )
        steps += [
            TimedStep(at=round(share_of(e.after) * wait_seconds), kind="escalate", group=e.group)
            for e in self.escalation
        ]
        return sorted(steps, key=lambda s: (s.at, s.kind != "remind"))


class TimedStep(Model):
    at: int
    kind: Literal["remind", "escalate"]
    group: str = ""


class ApprovalPolicy(Model):
    version: int = Field(default=1, ge=1, le=1)
    groups: dict[GroupName, list[str]]
    rules: list[PolicyRule] = Field(min_length=1)

    @field_validator("groups")
    @classmethod
    def _members(cls, groups: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, members in groups.items():
            if not members:
                raise ValueError(f"group '{name}' has no members")
            for address in members:
                if address != CONFIGURED_APPROVER and not EMAIL.fullmatch(address):
                    raise ValueError(f"group '{name}': {address!r} is not an email address")
            if len({m.lower() for m in members}) != len(members):
                raise ValueError(f"group '{name}' names an address twice")
        return groups

    @model_validator(mode="after")
    def _rules(self) -> ApprovalPolicy:
        for index, rule in enumerate(self.rules):
            where = f"rules[{index}] ('{rule.name}')"
            if rule.group not in self.groups:
                raise ValueError(f"{where}.group: no group named '{rule.group}'; groups: {sorted(self.groups)}")
            if rule.approvals > len(self.groups[rule.group]):
                raise ValueError(
                    f"{where}.approvals: {rule.approvals} approvals needed but group '{rule.group}' has "
                    f"{len(self.groups[rule.group])} members"
                )
            for step_index, step in enumerate(rule.escalation):
                if step.group not in self.groups:
                    raise ValueError(
                        f"{where}.escalation[{step_index}].group: no group named '{step.group}'; "
                        f"groups: {sorted(self.groups)}"
                    )
            afters = [share_of(e.after) for e in rule.escalation]
            if afters != sorted(set(afters)):
                raise ValueError(f"{where}.escalation: the steps must come later and later (`after` increasing)")
        if not self.rules[-1].match.everything:
            raise ValueError("rules: the last rule must match every ticket (no `match`), so every ticket has a rule")
        return self

    def rule_for(self, category: Category, severity: Severity, risk: Risk) -> PolicyRule:
        """The first rule that applies (the last rule applies to every ticket)."""
        return next(r for r in self.rules if r.match.holds(category, severity, risk))

    def rule_named(self, name: str) -> PolicyRule | None:
        return next((r for r in self.rules if r.name == name), None)

    def members(self, group: str) -> list[str]:
        return list(self.groups[group])

    def with_approver(self, approver_email: str) -> ApprovalPolicy:
        """The policy with the configured approver in place of its placeholder."""
        groups = {n: [approver_email if m == CONFIGURED_APPROVER else m for m in ms] for n, ms in self.groups.items()}
        return self.model_copy(update={"groups": groups})

    @staticmethod
    def single_approver(approver_email: str) -> ApprovalPolicy:
        """Today's behaviour: one configured approver decides every ticket."""
        return ApprovalPolicy(
            groups={"approvers": [approver_email]}, rules=[PolicyRule(name="every ticket", group="approvers")]
        )


def parse_policy(data: Any, source: str = "the approval policy") -> ApprovalPolicy:
    """The policy in `data` (a mapping from YAML or JSON), or `InvalidPolicy` with a sentence naming the field."""
    try:
        return ApprovalPolicy.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = re.sub(r"^Value error, ", "", first["msg"]).rstrip(".")
        raise InvalidPolicy(f"{source} is not valid: {field + ': ' if field else ''}{message}.") from None


def policy_from_json(text: str, source: str = "APPROVAL_POLICY") -> ApprovalPolicy:
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidPolicy(f"{source} is not JSON.") from None
    return parse_policy(data, source)
