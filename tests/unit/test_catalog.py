import json
from importlib import resources

from ticketing.domain.catalog import load_catalog
from ticketing.domain.models import Analysis, Category, ResolutionPlan, ResolutionStep, Severity


def analysis(category: Category) -> Analysis:
    return Analysis(category=category, severity=Severity.LOW, summary="s", signals=[], explanation="e")


def test_every_category_has_a_plan_with_steps():
    catalog = load_catalog()
    for category in Category:
        plan = catalog.plan_for(analysis(category))
        assert plan.steps and plan.category is category and plan.source == "catalog"


def test_action_ids_are_unique_and_namespaced_by_category():
    raw = json.loads(resources.files("ticketing.domain").joinpath("resolution_catalog.json").read_text())
    ids = [s["action_id"] for c in raw["categories"].values() for s in c["steps"]]
    assert len(ids) == len(set(ids))
    for name, entry in raw["categories"].items():
        assert all(s["action_id"].startswith(f"{name}.") for s in entry["steps"])


def test_the_seed_network_steps_are_kept():
    ids = [s.action_id for s in load_catalog().plan_for(analysis(Category.NETWORK)).steps]
    assert "network.restart-router" in ids


def test_unknown_actions_are_reported():
    plan = ResolutionPlan(
        category=Category.NETWORK,
        steps=[
            ResolutionStep(action_id="network.restart-router", title="t", instructions="i"),
            ResolutionStep(action_id="shell.rm-rf", title="t", instructions="i"),
        ],
        customer_message="m",
    )
    assert load_catalog().unknown_actions(plan) == ["shell.rm-rf"]


def test_plan_hash_changes_with_any_step():
    plan = load_catalog().plan_for(analysis(Category.NETWORK))
    altered = plan.model_copy(update={"steps": plan.steps[:-1]})
    assert plan.plan_hash != altered.plan_hash
    assert plan.plan_hash == ResolutionPlan.model_validate(plan.model_dump(mode="json")).plan_hash


def test_a_plan_naming_an_action_twice_is_refused():
    import pytest
    from pydantic import ValidationError

    step = ResolutionStep(action_id="network.restart-router", title="t", instructions="i")
    with pytest.raises(ValidationError):
        ResolutionPlan(category=Category.NETWORK, steps=[step, step], customer_message="m")
