"""The resolution catalog: the only actions a plan may contain, each with its risk, held as data."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from pydantic import Field

from .execution import SIMULATED, ActionExecutor
from .models import Analysis, Category, Model, ResolutionPlan, ResolutionStep, Risk


class CatalogAction(Model):
    action_id: str
    title: str
    instructions: str
    # What is at stake when the action runs, and why in one line (approval policies route on it).
    risk: Risk
    risk_reason: str = Field(min_length=1)
    # How the action is carried out (domain/execution.py); configuration may override it per deployment.
    executor: ActionExecutor = SIMULATED

    def step(self) -> ResolutionStep:
        """The action as a plan step (the risk stays in the catalog, outside the plan and its hash)."""
        return ResolutionStep(action_id=self.action_id, title=self.title, instructions=self.instructions)


class CatalogEntry(Model):
    customer_message: str
    steps: list[CatalogAction]


class ResolutionCatalog(Model):
    schema_version: int
    # The most steps one plan may hold (the agent's answer and an approver's edit alike).
    max_steps_per_plan: int = Field(ge=1)
    categories: dict[Category, CatalogEntry]

    def allowed_actions(self, category: Category) -> dict[str, ResolutionStep]:
        """The actions a plan for `category` may use: its own entry's and the general ones, by id."""
        return {
            a.action_id: a.step() for c in dict.fromkeys((category, Category.GENERAL)) for a in self.categories[c].steps
        }

    def actions(self) -> dict[str, ResolutionStep]:
        """Every known action by its stable id."""
        return {a.action_id: a.step() for entry in self.categories.values() for a in entry.steps}

    def risks(self) -> dict[str, CatalogAction]:
        """Every known action with its risk, by id."""
        return {a.action_id: a for entry in self.categories.values() for a in entry.steps}

    def executors(self, overrides: dict[str, ActionExecutor] | None = None) -> dict[str, ActionExecutor]:
        """How each known action runs: as the catalog declares it, unless configuration overrides it."""
        return {**{a.action_id: a.executor for a in self.risks().values()}, **(overrides or {})}

    def plan_risk(self, plan: ResolutionPlan) -> Risk:
        """A plan's risk: its riskiest action's (an action the catalog does not know counts as high)."""
        known = self.risks()
        return max((known[s.action_id].risk if s.action_id in known else Risk.HIGH for s in plan.steps), key=Risk.rank)

    def plan_for(self, analysis: Analysis) -> ResolutionPlan:
        """The catalog's plan for the analysed category."""
        entry = self.categories[analysis.category]
        return ResolutionPlan(
            category=analysis.category,
            steps=[a.step() for a in entry.steps],
            customer_message=entry.customer_message,
            source="catalog",
        )

    def unknown_actions(self, plan: ResolutionPlan) -> list[str]:
        """Action ids in a plan that the catalog does not hold (must be empty to run)."""
        known = self.actions()
        return [s.action_id for s in plan.steps if s.action_id not in known]


@cache
def load_catalog() -> ResolutionCatalog:
    """The catalog shipped with the functions (`resolution_catalog.json`)."""
    text = resources.files(__package__).joinpath("resolution_catalog.json").read_text()
    return ResolutionCatalog.model_validate(json.loads(text))
