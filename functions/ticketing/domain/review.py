"""An approver's edit of a proposed plan: the rules it must follow and what it changed (pure).

An edit is the plan as the approver wants it: an ordered list of action ids, with
optional notes for the engineer. Allowed: the proposed steps and the catalog actions
of the ticket's category and of `general`, each at most once, at least one, at most
the catalog's per-plan limit. Anything else is refused, naming the id and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated

from pydantic import Field, StringConstraints

from .catalog import ResolutionCatalog
from .errors import InvalidPlanEdit
from .models import (
    MAX_COMMENT_CHARS,
    MAX_STEP_NOTE_CHARS,
    Model,
    Outcome,
    PlanChanges,
    ResolutionPlan,
    ResolutionStep,
)


def edited_plan(
    catalog: ResolutionCatalog,
    proposed: ResolutionPlan,
    steps: Sequence[str] | None,
    notes: Mapping[str, str] | None = None,
) -> ResolutionPlan:
    """The proposed plan as the approver edited it (`steps` None: the steps as proposed)."""
    notes = {k: v.strip() for k, v in (notes or {}).items()}
    ids = list(proposed.action_ids if steps is None else steps)
    _check_steps(catalog, proposed, ids)
    for action_id, note in notes.items():
        if action_id not in ids:
            raise InvalidPlanEdit(f"The note for '{action_id[:80]}' names a step that is not in the plan.")
        if len(note) > MAX_STEP_NOTE_CHARS:
            raise InvalidPlanEdit(f"The note for '{action_id}' is longer than {MAX_STEP_NOTE_CHARS} characters.")
    if ids == proposed.action_ids and not any(notes.values()):
        return proposed
    kept = {s.action_id: s for s in proposed.steps}
    allowed = catalog.allowed_actions(proposed.category)
    chosen: list[ResolutionStep] = []
    for action_id in ids:
        step = kept.get(action_id) or allowed[action_id]
        chosen.append(step.model_copy(update={"reviewer_note": notes.get(action_id, "")}))
    return proposed.model_copy(update={"steps": chosen, "source": "reviewer"})


def _check_steps(catalog: ResolutionCatalog, proposed: ResolutionPlan, ids: list[str]) -> None:
    if not ids:
        raise InvalidPlanEdit("The plan needs at least one step; to run nothing, reject it instead.")
    if len(ids) > catalog.max_steps_per_plan:
        raise InvalidPlanEdit(f"The plan has {len(ids)} steps; a plan may hold at most {catalog.max_steps_per_plan}.")
    known = catalog.actions()
    allowed = set(proposed.action_ids) | set(catalog.allowed_actions(proposed.category))
    seen: set[str] = set()
    for action_id in ids:
        shown = action_id[:80]
        if action_id not in known:
            raise InvalidPlanEdit(f"'{shown}' is not an action of the resolution catalog.")
        if action_id not in allowed:
            raise InvalidPlanEdit(
                f"'{shown}' is not allowed for a {proposed.category.value} ticket: only its proposed steps and "
                f"the catalog's {proposed.category.value} and general actions are."
            )
        if action_id in seen:
            raise InvalidPlanEdit(f"'{shown}' appears twice; a plan names each action at most once.")
        seen.add(action_id)


def plan_changes(proposed: ResolutionPlan, approved: ResolutionPlan) -> PlanChanges:
    """What changed from the proposed plan to the approved one: dropped, added, moved, noted."""
    before, after = proposed.action_ids, approved.action_ids
    kept_before = [a for a in before if a in after]
    kept_after = [a for a in after if a in before]
    return PlanChanges(
        dropped=[a for a in before if a not in after],
        added=[a for a in after if a not in before],
        moved=[a for a, was in zip(kept_after, kept_before, strict=True) if a != was],
        noted=[s.action_id for s in approved.steps if s.reviewer_note],
    )


class ReviewRequest(Model):
    """What an approver asks for through the link: the outcome and what goes with it."""

    outcome: Outcome
    # The plan as the approver wants it (approve, or revise); None: the steps as proposed.
    steps: list[str] | None = None
    notes: dict[str, str] = Field(default_factory=dict)
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] = ""
    reason: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] = ""
    feedback: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] = ""
    notify_customer: bool = False
