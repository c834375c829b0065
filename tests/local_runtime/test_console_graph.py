"""The state machine picture, drawn from the real synthesized definition."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local_runtime.console.graph import NODE_HEIGHT, NODE_WIDTH, Lit, edges_of, layout, svg
from tests.infra.conftest import state_machine_definition

# One ticket's executions: the first waited for approval until it expired, the resumed one waits again.
EXPIRED = ["Resumed?", "Analyze issue", "Find resolution", "Approval timer", "Policy decides?", "Record expiry"]
RESUMED = ["Resumed?", "Resume from?", "Approval timer", "Policy decides?", "Await approval"]


@pytest.fixture(scope="module")
def definition(template_for: Any) -> dict[str, Any]:
    return state_machine_definition(template_for({}))


def transitions(definition: dict[str, Any]) -> set[tuple[str, str, str]]:
    """Every (from, to, kind) the ASL names, read here independently of the code under test."""
    found: set[tuple[str, str, str]] = set()
    for name, state in definition["States"].items():
        if "Next" in state:
            found.add((name, state["Next"], "next"))
        if "Default" in state:
            found.add((name, state["Default"], "default"))
        found |= {(name, rule["Next"], "choice") for rule in state.get("Choices", [])}
        found |= {(name, catcher["Next"], "catch") for catcher in state.get("Catch", [])}
    return found


def drawn_states(picture: str) -> dict[str, str]:
    """data-state -> class attribute of each state group in the SVG."""
    return {
        state: classes
        for classes, state in re.findall(r"<g class='state ([^']*)' id='[^']*' data-state='([^']*)'", picture)
    }


def drawn_edges(picture: str) -> list[tuple[str, str, str, str]]:
    """(from, to, kind, classes) of each edge group in the SVG."""
    return [
        (source, target, kind, classes)
        for classes, source, target, kind in re.findall(
            r"<g class='edge ([^']*)' data-from='([^']*)' data-to='([^']*)' data-kind='([^']*)'>", picture
        )
    ]


def test_every_state_of_the_definition_is_drawn_once(definition: dict[str, Any]) -> None:
    picture = svg(layout(definition))
    assert set(drawn_states(picture)) == set(definition["States"])
    assert len(re.findall(r"<g class='state ", picture)) == len(definition["States"])


def test_the_edges_drawn_are_the_next_choice_default_and_catch_transitions(definition: dict[str, Any]) -> None:
    picture = svg(layout(definition))
    assert {(s, t, k) for s, t, k, _ in drawn_edges(picture)} == transitions(definition)
    assert {(e.source, e.target, e.kind) for e in edges_of(definition)} == transitions(definition)


def test_the_current_state_is_marked_and_the_path_of_every_execution_is_lit(definition: dict[str, Any]) -> None:
    lit = Lit.of_paths([EXPIRED, RESUMED], edges_of(definition), running=True)
    picture = svg(layout(definition), lit)
    states = drawn_states(picture)
    assert [name for name, classes in states.items() if "current" in classes.split()] == ["Await approval"]
    assert "running" in states["Await approval"].split()
    for name in {*EXPIRED, *RESUMED} - {"Await approval"}:
        assert states[name].split()[1] == "visited", name
    assert states["Execute resolution"].split()[1] == "idle"
    taken = {(s, t) for s, t, _, classes in drawn_edges(picture) if "taken" in classes.split()}
    assert taken == set(zip(EXPIRED, EXPIRED[1:], strict=False)) | set(zip(RESUMED, RESUMED[1:], strict=False))


def test_a_state_left_through_its_catch_is_failed_and_a_failed_execution_ends_failed(
    definition: dict[str, Any],
) -> None:
    path = ["Resumed?", "Analyze issue", "Handle failure", "Failed"]
    lit = Lit.of_paths([path], edges_of(definition), running=False, ended_badly=True)
    states = drawn_states(svg(layout(definition), lit))
    assert states["Analyze issue"].split()[1] == "failed"
    assert {"current", "failed"} <= set(states["Failed"].split())
    assert states["Resumed?"].split()[1] == "visited"


def test_the_layout_keeps_states_apart_and_forward_edges_point_down(definition: dict[str, Any]) -> None:
    drawn = layout(definition)
    boxes = list(drawn.states.values())
    for i, a in enumerate(boxes):
        assert a.x - NODE_WIDTH / 2 >= 0 and a.x + NODE_WIDTH / 2 <= drawn.width, a.name
        assert a.y >= 0 and a.y + NODE_HEIGHT <= drawn.height, a.name
        for b in boxes[i + 1 :]:
            apart = abs(a.x - b.x) >= NODE_WIDTH or abs(a.y - b.y) >= NODE_HEIGHT
            assert apart, (a.name, b.name)
    assert drawn.states[drawn.start].layer == 0
    for route in drawn.routes:
        source, target = drawn.states[route.edge.source], drawn.states[route.edge.target]
        assert (target.layer > source.layer) != route.back, route.edge
    # The loops of the workflow are the back edges: a plan sent back, a wait that timed out, and a ticket the
    # customer reopened (customer_confirmation is on in a deploy's defaults).
    assert {(r.edge.source, r.edge.target) for r in drawn.routes if r.back} == {
        ("Revise plan", "Approval timer"),
        ("Await approval", "Approval timer"),
        ("Resolved?", "Analyze issue"),
        ("Await step report", "Execute resolution"),  # back to Execute with a person's report (person_steps)
    }


def test_state_names_and_choice_values_are_escaped_in_the_picture() -> None:
    hostile = "<script>alert('x')</script>"
    definition = {
        "StartAt": hostile,
        "States": {
            hostile: {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "StringEquals": "<b>", "Next": "End"}],
                "Default": "End",
            },
            "End": {"Type": "Succeed"},
        },
    }
    picture = svg(layout(definition), Lit.of_paths([[hostile, "End"]], edges_of(definition), running=False))
    assert "<script>" not in picture and "<b>" not in picture
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in picture
