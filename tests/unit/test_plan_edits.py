"""The rules of an approver's edit, and what an edit changed (pure, on the shipped catalog)."""

from __future__ import annotations

import pytest

from ticketing.domain.catalog import load_catalog
from ticketing.domain.errors import InvalidPlanEdit
from ticketing.domain.models import Analysis, Category, Severity
from ticketing.domain.review import edited_plan, plan_changes

CATALOG = load_catalog()
PROPOSED = CATALOG.plan_for(
    Analysis(category=Category.NETWORK, severity=Severity.MEDIUM, summary="s", signals=[], explanation="e")
)
CHECK, RESTART, RESET, OUTAGE = PROPOSED.action_ids


def test_no_edit_is_the_proposed_plan_itself():
    assert edited_plan(CATALOG, PROPOSED, None) is PROPOSED
    assert edited_plan(CATALOG, PROPOSED, PROPOSED.action_ids).plan_hash == PROPOSED.plan_hash


def test_dropping_and_reordering_keeps_the_proposed_wording_in_the_new_order():
    edited = edited_plan(CATALOG, PROPOSED, [RESTART, CHECK, OUTAGE])
    assert edited.action_ids == [RESTART, CHECK, OUTAGE] and edited.source == "reviewer"
    assert edited.steps[0] == PROPOSED.steps[1]


def test_a_general_action_may_be_added_with_a_note():
    edited = edited_plan(CATALOG, PROPOSED, [CHECK, "general.gather-details"], {"general.gather-details": " ask "})
    assert edited.action_ids == [CHECK, "general.gather-details"]
    assert edited.steps[1].title == CATALOG.actions()["general.gather-details"].title
    assert edited.steps[1].reviewer_note == "ask"


@pytest.mark.parametrize(
    ("steps", "notes", "words"),
    [
        (["network.no-such-step"], {}, "'network.no-such-step' is not an action of the resolution catalog"),
        (["account.unlock-account"], {}, "'account.unlock-account' is not allowed for a network ticket"),
        ([CHECK, CHECK], {}, f"'{CHECK}' appears twice"),
        ([], {}, "at least one step"),
        (
            [CHECK, RESTART, RESET, OUTAGE, "general.gather-details", "general.escalate-specialist", CHECK],
            {},
            "at most 6",
        ),
        ([CHECK], {RESTART: "x"}, f"The note for '{RESTART}' names a step that is not in the plan"),
        ([CHECK], {CHECK: "x" * 501}, "longer than 500 characters"),
    ],
)
def test_an_edit_that_breaks_a_rule_is_refused_saying_which_id_and_why(steps, notes, words):
    with pytest.raises(InvalidPlanEdit) as refused:
        edited_plan(CATALOG, PROPOSED, steps, notes)
    assert words in refused.value.message


def test_the_hash_of_an_edited_plan_differs_and_is_stable():
    dropped = edited_plan(CATALOG, PROPOSED, [CHECK, RESTART, RESET])
    swapped = edited_plan(CATALOG, PROPOSED, [RESTART, CHECK, RESET, OUTAGE])
    noted = edited_plan(CATALOG, PROPOSED, None, {CHECK: "call first"})
    hashes = {PROPOSED.plan_hash, dropped.plan_hash, swapped.plan_hash, noted.plan_hash}
    assert len(hashes) == 4
    assert edited_plan(CATALOG, PROPOSED, [CHECK, RESTART, RESET]).plan_hash == dropped.plan_hash


def test_a_plan_without_reviewer_notes_hashes_as_before_notes_existed():
    # The hash a checkpoint written before reviewer notes holds must still verify.
    legacy = PROPOSED.model_dump(mode="json", exclude={"provenance"})
    for step in legacy["steps"]:
        del step["reviewer_note"]
    from ticketing.domain.models import sha256_hex

    assert PROPOSED.plan_hash == sha256_hex(legacy)


def test_changes_name_what_was_dropped_added_moved_and_noted():
    edited = edited_plan(
        CATALOG, PROPOSED, [RESET, CHECK, "general.gather-details", OUTAGE], {OUTAGE: "only if the rest fails"}
    )
    changes = plan_changes(PROPOSED, edited)
    assert changes.dropped == [RESTART]
    assert changes.added == ["general.gather-details"]
    assert changes.moved == [RESET, CHECK]
    assert changes.noted == [OUTAGE]
    assert not plan_changes(PROPOSED, PROPOSED).any
