"""The approver's page (`GET /approvals/{id}`) and what its form posts, on the fakes.

The page is read the way a browser reads it (an HTML parser, forms submitted as a
browser submits them: ticked checkboxes and every textarea, in document order, plus
the clicked button), so these tests say what an approver's click really sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.api.test_app import WAITING, Answer, call, world
from tests.conftest import make_ticket
from tests.fakes import FakeServices, fake_settings
from tests.journey import latest, payload, request_approval_again, task
from ticketing.api.contract import DecisionBody
from ticketing.domain.models import Ticket
from ticketing.domain.notifications import NEUTRAL_REJECTION
from ticketing.domain.task_payloads import AnalyzeTask, FindResolutionTask, RevisePlanTask
from ticketing.logic import workflow_tasks

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
HTML = {"Accept": "text/html"}
# Breaks out of text, of a quoted attribute and of a textarea, and tries an event handler.
HOSTILE = "</textarea><script>alert(1)</script><img src=x onerror=alert(2)>'\" onfocus='alert(3)"
NO_MODEL_REVISE = (
    "No planning model is configured: sending back proposes the steps as you edited them above for the next "
    "review round, with your feedback recorded; only your edits change the plan."
)


@dataclass
class Control:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Form:
    attrs: dict[str, str]
    controls: list[Control] = field(default_factory=list)

    def named(self, name: str) -> list[Control]:
        return [c for c in self.controls if c.attrs.get("name") == name]

    def submission(self, button: str, ticked: set[str] | None = None, typed: dict[str, str] | None = None) -> str:
        """The body a browser posts when `button` (a decision) is clicked.

        `ticked`: the `steps` checkboxes to tick (None: as the page has them); `typed`: textarea values by name.
        """
        pairs: list[tuple[str, str]] = []
        for c in self.controls:
            name, value = c.attrs.get("name", ""), c.attrs.get("value", "")
            if c.tag == "input" and c.attrs.get("type") == "checkbox":
                on = value in ticked if ticked is not None and name == "steps" else "checked" in c.attrs
                if on:
                    pairs.append((name, value))
            elif c.tag == "input":
                pairs.append((name, value))
            elif c.tag == "textarea":
                pairs.append((name, (typed or {}).get(name, c.text)))
            elif c.tag == "button" and value == button:
                pairs.append((name, value))
        return urlencode(pairs)


class Page(HTMLParser):
    """The page as a browser's parser sees it: forms and their controls, tags, ids, link targets, text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._form: Form | None = None
        self._textarea: Control | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append((tag, found))
        if tag == "form":
            self._form = Form(found)
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "button") and self._form is not None:
            control = Control(tag, found)
            self._form.controls.append(control)
            if tag == "textarea":
                self._textarea = control

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.text += data
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)

    def by_id(self, element_id: str) -> dict[str, str] | None:
        return next((a for _, a in self.tags if a.get("id") == element_id), None)

    def links(self) -> list[str]:
        return [a["href"] for t, a in self.tags if t == "a" and "href" in a]

    def steps(self) -> list[tuple[str, bool]]:
        """Every `steps` checkbox, in order: (action id, ticked)."""
        boxes = [c for f in self.forms for c in f.named("steps") if c.attrs.get("type") == "checkbox"]
        return [(c.attrs["value"], "checked" in c.attrs) for c in boxes]

    def decisions(self) -> list[str]:
        return [c.attrs["value"] for f in self.forms for c in f.controls if c.tag == "button"]

    def form_with(self, decision: str) -> Form:
        return next(f for f in self.forms if any(c.attrs.get("value") == decision for c in f.controls))


def token_for_latest(services: FakeServices, ticket: Ticket = WAITING) -> str:
    checkpoint = latest(services, ticket)
    approval = checkpoint.data.approval
    assert approval is not None
    return str(
        services.signer.issue(
            ticket_id=ticket.ticket_id,
            checkpoint_hash=checkpoint.content_hash,
            plan_hash=checkpoint.data.plan_hash or "",
            expires_at=approval.link_expires_at,
        )
    )


def await_approval(services: FakeServices, ticket: Ticket = WAITING, **plan_changes: Any) -> str:
    """Start, analyse, plan (the catalog's plan, with `plan_changes` to its steps) and ask; the link's token."""
    services.workflow.start(ticket)
    analysis = workflow_tasks.analyze(services, task(AnalyzeTask, ticket))
    plan = workflow_tasks.find_resolution(services, task(FindResolutionTask, ticket, analysis=analysis))
    if plan_changes:
        plan = plan.model_copy(update={"steps": [s.model_copy(update=plan_changes) for s in plan.steps]})
    request_approval_again(services, "task-token-1", ticket, analysis=analysis, plan=plan)
    return token_for_latest(services, ticket)


def review_page(services: FakeServices, token: str, order: list[str] | None = None) -> tuple[Answer, Page]:
    query = {"token": [token], **({"order": order} if order is not None else {})}
    answer = call(services, "GET", f"/approvals/{WAITING.ticket_id}", headers=HTML, query=query)
    return answer, Page(answer.text)


def post(services: FakeServices, body: str) -> Answer:
    return call(services, "POST", f"/approvals/{WAITING.ticket_id}", body, headers=FORM)


def proposed_ids(services: FakeServices) -> list[str]:
    plan = latest(services, WAITING).data.plan
    assert plan is not None
    return plan.action_ids


def send_back(services: FakeServices, token: str, feedback: str) -> str:
    """The approver sends the plan back through the page; the workflow revises and asks again. The new token."""
    page = review_page(services, token)[1]
    assert post(services, page.form_with("revise").submission("revise", typed={"feedback": feedback})).status == 200
    sent = services.workflow.decisions[-1][1]
    data = latest(services, WAITING).data
    assert data.analysis is not None and data.plan is not None
    revise = RevisePlanTask(**payload(data.ticket), analysis=data.analysis, plan=data.plan, decision=sent)
    revised = workflow_tasks.revise_plan(services, revise)
    request_approval_again(services, f"task-token-{sent.round + 1}", data.ticket, analysis=data.analysis, plan=revised)
    return token_for_latest(services, data.ticket)


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


# What the page shows


def test_the_page_shows_who_decides_the_round_and_until_when(services: FakeServices) -> None:
    token = await_approval(services)
    answer, page = review_page(services, token)
    approval = latest(services, WAITING).data.approval
    assert approval is not None
    assert answer.status == 200
    assert "approver@example.com" in page.all_text
    assert "review round 1 of 3" in page.all_text
    assert f"{approval.link_expires_at:%Y-%m-%d %H:%M UTC}" in page.all_text


def test_the_proposed_steps_are_ticked_in_order_and_the_allowed_ones_offered_unticked_after_them(
    services: FakeServices,
) -> None:
    token = await_approval(services)
    page = review_page(services, token)[1]
    proposed = proposed_ids(services)
    assert page.steps() == [(a, True) for a in proposed] + [
        ("general.gather-details", False),
        ("general.escalate-specialist", False),
    ]
    notes = {c.attrs["name"] for f in page.forms for c in f.controls if c.attrs.get("name", "").startswith("notes[")}
    assert notes == {f"notes[{a}]" for a, _ in page.steps()}


def test_every_field_the_page_posts_is_named_as_the_contract_names_it(services: FakeServices) -> None:
    token = await_approval(services)
    page = review_page(services, token)[1]
    contract = set(DecisionBody.model_fields)
    for form in page.forms:
        assert (form.attrs["method"], form.attrs["action"]) == ("post", WAITING.ticket_id)
        names = {c.attrs["name"].split("[")[0] for c in form.controls if c.attrs.get("name")}
        assert names <= contract, names - contract
        assert [c.attrs["value"] for c in form.named("token")] == [token]
    assert page.decisions() == ["approve", "revise", "reject"]


def test_hostile_text_from_the_customer_a_model_or_a_reviewer_is_shown_as_text_never_as_markup(
    services: FakeServices,
) -> None:
    ticket = make_ticket(description=f"wifi drops {HOSTILE}", subject=f"Subject {HOSTILE}", customer_id="cust-42")
    assert ticket.ticket_id == WAITING.ticket_id
    token = await_approval(services, ticket, note=f"model {HOSTILE}", reviewer_note=f"reviewer {HOSTILE}")
    token = send_back(services, token, feedback=f"feedback {HOSTILE}")
    answer, page = review_page(services, token)
    assert answer.status == 200 and "review round 2 of 3" in page.all_text
    assert not [tag for tag, _ in page.tags if tag in ("script", "img")]
    assert not [a for _, a in page.tags if any(name.startswith("on") for name in a)]
    for shown in (f"wifi drops {HOSTILE}", f"Subject {HOSTILE}", f"model {HOSTILE}", f"feedback {HOSTILE}"):
        assert shown in page.all_text, shown
    # The reviewer's note comes back in its textarea, whole, so approving keeps it.
    notes = [c.text for f in page.forms for c in f.controls if c.attrs.get("name", "").startswith("notes[")]
    assert f"reviewer {HOSTILE}" in notes


def test_without_a_model_the_page_says_before_the_click_that_only_edits_change_the_plan(
    services: FakeServices,
) -> None:
    token = await_approval(services)
    page = review_page(services, token)[1]
    assert NO_MODEL_REVISE in page.all_text and "planning agent" not in page.all_text
    services.settings = fake_settings(MODEL_ID="anthropic.claude-3-haiku")
    page = review_page(services, token)[1]
    assert "The planning agent proposes a new plan from your feedback" in page.all_text
    assert NO_MODEL_REVISE not in page.all_text


def test_the_last_round_offers_only_approve_and_reject_and_says_so(services: FakeServices) -> None:
    services.settings = fake_settings(MAX_APPROVAL_ROUNDS=2)
    token = send_back(services, await_approval(services), feedback="Check the outage first.")
    page = review_page(services, token)[1]
    assert "review round 2 of 2" in page.all_text
    assert page.decisions() == ["approve", "reject"]
    assert page.by_id("last-round") is not None and "the last review round" in page.all_text
    assert not [c for f in page.forms for c in f.named("feedback")]


# Moving steps: links to this page with the new order; a GET decides nothing


def test_move_links_reorder_the_page_and_decide_nothing(services: FakeServices) -> None:
    token = await_approval(services)
    first, second, *rest = proposed_ids(services)
    page = review_page(services, token)[1]
    before = world(services)
    (down,) = [href for href in page.links() if href.endswith(f"#step-{first}")]  # the first step only moves down
    query = parse_qs(urlsplit(down).query)
    assert query == {"token": [token], "order": [second, first, *rest]}
    moved = review_page(services, token, order=query["order"])[1]
    assert [a for a, ticked in moved.steps() if ticked] == [second, first, *rest]
    assert world(services) == before


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(lambda ids: ids[:-1], id="a step left out"),
        pytest.param(lambda ids: [*ids, ids[0]], id="a step twice"),
        pytest.param(lambda ids: [*ids[:-1], "general.escalate-specialist"], id="an added step"),
        pytest.param(lambda ids: [*ids[:-1], "<b>x</b>"], id="an unknown id"),
        pytest.param(lambda ids: [""], id="empty"),
    ],
)
def test_an_order_that_is_not_a_permutation_of_the_proposed_steps_is_400_and_changes_nothing(
    services: FakeServices, order: Any
) -> None:
    token = await_approval(services)
    before = world(services)
    answer, page = review_page(services, token, order=order(proposed_ids(services)))
    assert answer.status == 400 and answer.content_type.startswith("text/html")
    assert "'order'" in page.all_text and "<b>" not in answer.text
    as_json = call(
        services,
        "GET",
        f"/approvals/{WAITING.ticket_id}",
        headers={"Accept": "application/json"},
        query={"token": [token], "order": order(proposed_ids(services))},
    )
    assert as_json.error == (400, "invalid_request")
    assert world(services) == before


# Deciding through the page's forms


def test_approving_the_page_as_shown_approves_the_proposed_plan(services: FakeServices) -> None:
    token = await_approval(services)
    page = review_page(services, token)[1]
    answer = post(services, page.form_with("approve").submission("approve"))
    ((_, sent),) = services.workflow.decisions
    assert answer.status == 200 and sent.outcome == "approved"
    assert sent.approved_plan is not None and sent.approved_plan.action_ids == proposed_ids(services)
    assert not sent.changes.any


def test_a_dropped_moved_added_and_noted_plan_is_approved_as_edited_and_the_outcome_lists_it(
    services: FakeServices,
) -> None:
    token = await_approval(services)
    first, second, third, *_ = proposed_ids(services)
    page = review_page(services, token, order=[second, first, third, *proposed_ids(services)[3:]])[1]
    ticked = {second, first, "general.escalate-specialist"}
    body = page.form_with("approve").submission(
        "approve", ticked=ticked, typed={f"notes[{first}]": "Call the customer first <b>", "comment": "ok"}
    )
    answer = post(services, body)
    ((_, sent),) = services.workflow.decisions
    assert sent.approved_plan is not None
    assert sent.approved_plan.action_ids == [second, first, "general.escalate-specialist"]
    assert [s.reviewer_note for s in sent.approved_plan.steps] == ["", "Call the customer first <b>", ""]
    outcome = Page(answer.text)
    assert answer.status == 200 and "Approved" in outcome.all_text
    listed = outcome.all_text.split("in this order")[1]
    assert listed.index(second) < listed.index(first) < listed.index("general.escalate-specialist")
    assert "Call the customer first <b>" in outcome.all_text and "<b>" not in answer.text


def test_rejecting_through_the_page_says_what_the_customer_reads(services: FakeServices) -> None:
    token = await_approval(services)
    page = review_page(services, token)[1]
    reject = page.form_with("reject")
    assert [c.attrs.get("required") for c in reject.named("reason")] == [""]  # the browser asks for a reason
    answer = post(services, reject.submission("reject", typed={"reason": "Known outage <i>"}))
    outcome = Page(answer.text)
    ((_, sent),) = services.workflow.decisions
    assert (sent.outcome, sent.reason, sent.notify_customer) == ("rejected", "Known outage <i>", False)
    assert "Known outage <i>" in outcome.all_text and NEUTRAL_REJECTION in outcome.all_text


def test_rejecting_with_the_box_ticked_tells_the_customer_the_reason(services: FakeServices) -> None:
    token = await_approval(services)
    reject = review_page(services, token)[1].form_with("reject")
    (box,) = reject.named("notify_customer")
    box.attrs["checked"] = ""
    answer = post(services, reject.submission("reject", typed={"reason": "Known outage."}))
    ((_, sent),) = services.workflow.decisions
    assert sent.notify_customer is True
    assert "carries your reason" in Page(answer.text).all_text and NEUTRAL_REJECTION not in answer.text


def test_sending_back_through_the_page_says_a_new_email_comes(services: FakeServices) -> None:
    token = await_approval(services)
    first, *rest = proposed_ids(services)
    page = review_page(services, token)[1]
    body = page.form_with("revise").submission("revise", ticked=set(rest), typed={"feedback": "Skip the check."})
    answer = post(services, body)
    ((_, sent),) = services.workflow.decisions
    assert (sent.outcome, sent.feedback, sent.requested_steps) == ("changes_requested", "Skip the check.", rest)
    text = Page(answer.text).all_text
    assert "Sent back for changes" in text and "new email for review round 2 of 3" in text


def test_a_refused_edit_is_a_page_that_says_what_to_fix_and_decides_nothing(services: FakeServices) -> None:
    token = await_approval(services)
    page = review_page(services, token)[1]
    before = world(services)
    for body, code, why in [
        # Every box unticked is an empty plan, not "the plan as proposed" (which a form without `steps` means).
        (page.form_with("approve").submission("approve", ticked=set()), "invalid_plan_edit", "at least one step"),
        (page.form_with("revise").submission("revise"), "invalid_decision", "feedback"),
    ]:
        answer = post(services, body)
        refused = Page(answer.text)
        assert answer.status == 400 and code in refused.all_text and why in refused.all_text
        assert "Back button" in refused.all_text
    assert world(services) == before
