"""The resolution catalog: the only actions a plan may contain, held as data."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from pydantic import Field

from .models import Analysis, Category, Model, ResolutionPlan, ResolutionStep


class CatalogEntry(Model):
    customer_message: str
    steps: list[ResolutionStep]


class ResolutionCatalog(Model):
    schema_version: int
    # The most steps one plan may hold (the agent's answer and an approver's edit alike).
    max_steps_per_plan: int = Field(ge=1)
    categories: dict[Category, CatalogEntry]

    def allowed_actions(self, category: Category) -> dict[str, ResolutionStep]:
        """The actions a plan for `category` may use: its own entry's and the general ones, by id."""
        return {s.action_id: s for c in dict.fromkeys((category, Category.GENERAL)) for s in self.categories[c].steps}

    def actions(self) -> dict[str, ResolutionStep]:
        """Every known action by its stable id."""
        return {s.action_id: s for entry in self.categories.values() for s in entry.steps}

    def plan_for(self, analysis: Analysis) -> ResolutionPlan:
        """The catalog's plan for the analysed category."""
        entry = self.categories[analysis.category]
        return ResolutionPlan(
            category=analysis.category,
            steps=list(entry.steps),
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
