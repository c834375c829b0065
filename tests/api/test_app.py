"""The HTTP contract (`ticketing.api`): API Gateway proxy events in, status codes, headers and bodies out.

The app runs with `FakeServices`, so each test says exactly what a request answered and
what it changed in the world (runs, decisions, checkpoints, turns, emails). What the
logic decides is tested in tests/logic; here, how it reaches the wire.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from tests.conftest import make_ticket
from tests.fakes import FakeLambdaContext, FakeServices, FakeWorkflow
from tests.journey import await_approval, decision, latest, task
from ticketing.api import errors as api_errors
from ticketing.api.app import app
from ticketing.api.http import serving
from ticketing.domain import errors as domain
from ticketing.domain.errors import StoreUnavailable
from ticketing.domain.models import Ticket
from ticketing.domain.task_payloads import CloseTask, ExecuteTask
from ticketing.logic import tickets, workflow_tasks
from ticketing.observability import metrics

VALID = {"customer_id": "cust-42", "customer_email": "jo@example.com", "description": "My wifi keeps dropping."}
JSON = {"Content-Type": "application/json"}
WAITING = make_ticket(customer_id="cust-42")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self) -> Any:
        assert self.content_type == "application/json", self.content_type
        return json.loads(self.text)

    @property
    def error(self) -> tuple[int, str]:
        """The status and error code of a refusal, after checking its body is exactly `{error, message}`."""
        body = self.json()
        assert set(body) == {"error", "message"} and body["message"].endswith("."), body
        return self.status, body["error"]


def event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str | list[str]] | None = None,
    query: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, shaped as local_runtime/http_api.py::proxy_event builds it."""
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    multi = {k: v if isinstance(v, list) else [v] for k, v in (JSON if headers is None else headers).items()}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi.items()},
        "multiValueHeaders": multi,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"requestId": "req-1", "stage": "prod", "path": path, "httpMethod": method},
        "body": text,
        "isBase64Encoded": False,
    }


def send(services: FakeServices, request: dict[str, Any]) -> Answer:
    lambda_context: Any = FakeLambdaContext()
    with serving(services):
        response = app.resolve(request, lambda_context)
    headers = {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    headers.update(response.get("headers") or {})
    return Answer(response["statusCode"], headers, response["body"])


def call(services: FakeServices, *args: Any, **kwargs: Any) -> Answer:
    return send(services, event(*args, **kwargs))


@pytest.fixture(autouse=True)
def _no_metrics_left_over() -> Iterator[None]:
    yield
    metrics.clear_metrics()


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


@pytest.fixture
def waiting(services: FakeServices) -> str:
    """A ticket waiting for approval; returns a valid approval token for it."""
    checkpoint = await_approval(services, WAITING)
    return str(
        services.signer.issue(
            ticket_id=WAITING.ticket_id,
            checkpoint_hash=checkpoint.content_hash,
            plan_hash=checkpoint.data.plan_hash or "",
            expires_at=checkpoint.data.approval.link_expires_at,  # type: ignore[union-attr]
        )
    )


def world(services: FakeServices) -> Any:
    """Everything a request could change, to compare before and after."""
    return (
        {name: (run.status, run.input) for name, run in services.workflow.runs_by_name.items()},
        list(services.workflow.decisions),
        set(services.workflow.closed_tokens),
        {t: list(c) for t, c in services.checkpoints.stored.items()},
        {k: list(v) for k, v in services.conversation.stored.items()},
        list(services.mailer.sent),
    )


# Tickets


def test_submitting_a_ticket_is_202_with_its_links_and_starts_a_run_named_after_it(services: FakeServices) -> None:
    answer = call(services, "POST", "/tickets", VALID)
    body = answer.json()
    url = f"https://api.example.com/prod/tickets/{body['ticket_id']}"
    assert answer.status == 202
    assert set(body) == {"ticket_id", "state", "submitted_at", "links"}
    assert (body["state"], body["links"], answer.headers["Location"]) == ("RECEIVED", {"self": url}, url)
    assert "Idempotent-Replayed" not in answer.headers
    (run,) = services.workflow.runs_by_name.values()
    assert run.name == body["ticket_id"] and run.input["ticket"]["description"] == VALID["description"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "malformed_json"),
        ("[1, 2]", "malformed_json"),
        ("[" * 50_000, "malformed_json"),
        ({**VALID, "description": ""}, "invalid_ticket"),
        ({**VALID, "description": "   "}, "invalid_ticket"),
        ({k: v for k, v in VALID.items() if k != "customer_email"}, "invalid_ticket"),
        ({**VALID, "customer_email": "nope"}, "invalid_ticket"),
        ({**VALID, "description": "x" * 6000}, "invalid_ticket"),
        ({**VALID, "priority": "urgent"}, "invalid_ticket"),
    ],
)
def test_invalid_ticket_input_is_a_clear_400_and_starts_nothing(services: FakeServices, body: Any, code: str) -> None:
    assert call(services, "POST", "/tickets", body).error == (400, code)
    assert services.workflow.runs_by_name == {}


def test_a_missing_field_is_named_in_the_message(services: FakeServices) -> None:
    answer = call(services, "POST", "/tickets", {k: v for k, v in VALID.items() if k != "description"})
    assert answer.json()["message"] == "The field 'description' is required."


def test_an_oversized_body_is_413_and_a_wrong_content_type_is_415(services: FakeServices) -> None:
    assert call(services, "POST", "/tickets", json.dumps({**VALID, "pad": "x" * 70_000})).error == (
        413,
        "payload_too_large",
    )
    plain = call(services, "POST", "/tickets", "customer_id=x", headers={"Content-Type": "text/plain"})
    assert plain.error == (415, "unsupported_media_type")
    assert services.workflow.runs_by_name == {}


def test_unknown_and_malformed_ticket_ids_are_404(services: FakeServices) -> None:
    for ticket_id in ("tkt-20261125-000000000000", "nope", "..%2F..%2Fetc"):
        assert call(services, "GET", f"/tickets/{ticket_id}").error == (404, "ticket_not_found")


def test_a_submitted_ticket_without_checkpoints_reads_as_received(services: FakeServices) -> None:
    ticket_id = call(services, "POST", "/tickets", VALID).json()["ticket_id"]
    answer = call(services, "GET", f"/tickets/{ticket_id}")
    view = answer.json()
    assert answer.status == 200
    assert (view["ticket_id"], view["state"], view["checkpoints"]) == (ticket_id, "RECEIVED", [])
    assert view["workflow"]["status"] == "RUNNING" and [e["name"] for e in view["executions"]] == [ticket_id]


def test_the_ticket_view_never_shows_the_task_token(services: FakeServices, waiting: str) -> None:
    view = call(services, "GET", f"/tickets/{WAITING.ticket_id}").json()
    assert view["state"] == "AWAITING_APPROVAL" and view["approval"]["approver_email"] == "approver@example.com"
    assert "task-token-1" not in json.dumps(view) and "task_token" not in view["approval"]


def test_a_failure_after_the_decision_shows_the_decision_but_not_the_cause(
    services: FakeServices, waiting: str
) -> None:
    made = decision(latest(services, WAITING))
    error = {"Error": "ValueError", "Cause": "arn:aws:iam::123:role/x is not authorized"}
    snapshot = {"decision": made.model_dump(mode="json"), "error": error}
    workflow_tasks.close_ticket(services, task(CloseTask, WAITING, outcome="FAILED", error=error, snapshot=snapshot))
    answer = call(services, "GET", f"/tickets/{WAITING.ticket_id}")
    view = answer.json()
    assert view["failure"] == {"error": "ValueError", "failed_in": "AWAITING_APPROVAL"}
    assert view["decision"]["plan_hash"] == made.plan_hash
    assert "arn:aws:iam" not in answer.text


def test_resuming_a_stopped_ticket_is_202_with_the_new_run(services: FakeServices) -> None:
    services.workflow.start(WAITING)
    services.workflow.stop(WAITING.ticket_id, "ABORTED")
    answer = call(services, "POST", f"/tickets/{WAITING.ticket_id}/resume", headers={})
    url = f"https://api.example.com/prod/tickets/{WAITING.ticket_id}"
    assert answer.status == 202 and answer.headers["Location"] == url
    assert answer.json() == {
        "ticket_id": WAITING.ticket_id,
        "execution": f"{WAITING.ticket_id}-r1",
        "resumed_from": "analysis",
        "checkpoint_sequence": None,
        "state": "RESUMING",
        "links": {"self": url},
    }


def test_resuming_a_running_ticket_is_409(services: FakeServices, waiting: str) -> None:
    before = world(services)
    assert call(services, "POST", f"/tickets/{WAITING.ticket_id}/resume", headers={}).error == (409, "not_resumable")
    assert world(services) == before


# Idempotency-Key


def submit(services: FakeServices, key: str | list[str] | None, body: dict[str, Any] = VALID) -> Answer:
    headers: dict[str, str | list[str]] = {**JSON, **({"Idempotency-Key": key} if key is not None else {})}
    return call(services, "POST", "/tickets", body, headers=headers)


def test_a_retry_with_the_same_key_is_the_same_answer_marked_replayed_and_starts_nothing(
    services: FakeServices,
) -> None:
    first = submit(services, "order-1234-try")
    again = submit(services, "order-1234-try")
    assert first.status == again.status == 202
    assert again.json() == first.json()  # same id, same submission time, same links
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.headers["Location"] == first.headers["Location"]
    assert len(services.workflow.runs_by_name) == 1


def test_the_same_key_with_another_ticket_is_409_and_starts_nothing(services: FakeServices) -> None:
    submit(services, "k-2")
    answer = submit(services, "k-2", {**VALID, "description": "Something else entirely."})
    assert answer.error == (409, "idempotency_key_reused") and "different ticket" in answer.json()["message"]
    assert len(services.workflow.runs_by_name) == 1


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "caf\u00e9", "line\nbreak", "tab\there", ["a", "b"]])
def test_a_malformed_or_repeated_key_is_400_and_starts_nothing(services: FakeServices, key: str | list[str]) -> None:
    assert submit(services, key).error == (400, "invalid_idempotency_key")
    assert services.workflow.runs_by_name == {}


def test_a_workflow_that_cannot_start_is_503_with_the_reason_and_creates_nothing(services: FakeServices) -> None:
    class Unavailable(FakeWorkflow):
        def start(self, ticket: Ticket, *, request_fingerprint: str | None = None) -> None:
            raise domain.WorkflowUnavailable("The ticket could not be started right now; nothing was created.")

    services.workflow = Unavailable()
    answer = call(services, "POST", "/tickets", VALID)
    assert answer.error == (503, "workflow_unavailable")
    assert answer.json()["message"] == "The ticket could not be started right now; nothing was created."
    assert services.workflow.runs_by_name == {}


# Approvals


def test_the_approval_page_shows_the_plan_and_decides_nothing(services: FakeServices, waiting: str) -> None:
    before = world(services)
    page = call(
        services, "GET", f"/approvals/{WAITING.ticket_id}", headers={"Accept": "text/html"}, query={"token": [waiting]}
    )
    assert page.status == 200 and page.content_type.startswith("text/html")
    plan = latest(services, WAITING).data.plan
    assert plan is not None and all(step.action_id in page.text for step in plan.steps)
    as_json = call(
        services,
        "GET",
        f"/approvals/{WAITING.ticket_id}",
        headers={"Accept": "application/json"},
        query={"token": [waiting]},
    )
    assert as_json.json() == {
        "ticket_id": WAITING.ticket_id,
        "state": "AWAITING_APPROVAL",
        "plan": plan.model_dump(mode="json"),
        "round": 1,
        "max_rounds": 3,
        "decisions": ["approve", "reject", "revise"],
        "addable": ["general.gather-details", "general.escalate-specialist"],
    }
    assert world(services) == before


def test_approving_as_json_is_200_with_the_decision_and_sends_it_once(services: FakeServices, waiting: str) -> None:
    answer = call(
        services,
        "POST",
        f"/approvals/{WAITING.ticket_id}",
        {"token": waiting, "decision": "approve", "comment": " fine "},
        headers={**JSON, "Accept": "application/json"},
    )
    body = answer.json()
    assert answer.status == 200 and set(body) == {
        "ticket_id",
        "decision",
        "vote",
        "approvals",
        "approvals_needed",
        "links",
    }
    assert (body["vote"], body["approvals"], body["approvals_needed"]) == (None, 1, 1)
    assert body["links"] == {"ticket": f"https://api.example.com/prod/tickets/{WAITING.ticket_id}"}
    assert (body["decision"]["outcome"], body["decision"]["comment"]) == ("approved", "fine")
    ((token, sent),) = services.workflow.decisions
    assert token == "task-token-1" and sent.model_dump(mode="json") == body["decision"]


def test_rejecting_through_the_form_answers_with_a_page(services: FakeServices, waiting: str) -> None:
    answer = call(
        services,
        "POST",
        f"/approvals/{WAITING.ticket_id}",
        urlencode({"token": waiting, "decision": "reject", "reason": "Needs an engineer on site."}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert answer.status == 200 and answer.content_type.startswith("text/html") and "Rejected" in answer.text
    assert [(d.outcome, d.reason) for _, d in services.workflow.decisions] == [
        ("rejected", "Needs an engineer on site.")
    ]


def test_a_second_decision_after_the_first_was_recorded_is_409_as_json_and_as_a_page(
    services: FakeServices, waiting: str
) -> None:
    form = {"token": waiting, "decision": "approve"}
    call(services, "POST", f"/approvals/{WAITING.ticket_id}", form, headers={**JSON, "Accept": "application/json"})
    ((_, won),) = services.workflow.decisions
    workflow_tasks.execute_plan(services, task(ExecuteTask, WAITING, decision=won))  # the next step records it
    before = world(services)
    again = call(services, "POST", f"/approvals/{WAITING.ticket_id}", {**form, "decision": "reject", "reason": "no"})
    assert again.error == (409, "already_decided") and "already approved" in again.json()["message"]
    page = call(
        services, "GET", f"/approvals/{WAITING.ticket_id}", headers={"Accept": "text/html"}, query={"token": [waiting]}
    )
    assert page.status == 409 and "Already decided" in page.text
    assert world(services) == before


def test_approval_routes_refuse_forged_tokens_as_a_page_or_as_json(services: FakeServices, waiting: str) -> None:
    before = world(services)
    page = call(
        services,
        "GET",
        f"/approvals/{WAITING.ticket_id}",
        headers={"Accept": "text/html"},
        query={"token": ["forged.token"]},
    )
    assert page.status == 403 and page.content_type.startswith("text/html") and "Link not valid" in page.text
    answer = call(
        services,
        "POST",
        f"/approvals/{WAITING.ticket_id}",
        {"token": "forged.token", "decision": "approve"},
        headers={**JSON, "Accept": "application/json"},
    )
    assert answer.error == (403, "approval_link_invalid")
    non_ascii = call(
        services,
        "GET",
        f"/approvals/{WAITING.ticket_id}",
        headers={"Accept": "application/json"},
        query={"token": ["abc.é"]},
    )
    assert non_ascii.error == (403, "approval_link_invalid")
    assert world(services) == before


def test_approval_needs_exactly_one_token_and_a_known_decision(services: FakeServices, waiting: str) -> None:
    for tokens in (["a", "b"], [""]):
        answer = call(
            services,
            "GET",
            f"/approvals/{WAITING.ticket_id}",
            headers={"Accept": "application/json"},
            query={"token": tokens},
        )
        assert answer.error == (400, "invalid_request")
    assert call(services, "GET", f"/approvals/{WAITING.ticket_id}", headers={"Accept": "application/json"}).error == (
        400,
        "invalid_request",
    )
    answer = call(services, "POST", f"/approvals/{WAITING.ticket_id}", {"token": waiting, "decision": "maybe"})
    assert answer.error == (400, "invalid_decision")
    answer = call(services, "POST", f"/approvals/{WAITING.ticket_id}", {"decision": "approve"})
    assert answer.error == (400, "invalid_request")
    assert services.workflow.decisions == []


# Conversation


def test_a_message_is_answered_200_and_the_conversation_lists_both_turns(services: FakeServices) -> None:
    ticket_id = call(services, "POST", "/tickets", VALID).json()["ticket_id"]
    answer = call(services, "POST", f"/tickets/{ticket_id}/messages", {"text": "What was the issue?"})
    reply = answer.json()
    assert answer.status == 200 and set(reply) == {"ticket_id", "state", "reply", "source", "fallback_reason"}
    assert (reply["ticket_id"], reply["state"], reply["source"]) == (ticket_id, "RECEIVED", "template")
    assert "no model" in reply["fallback_reason"] and reply["reply"]["role"] == "ASSISTANT"
    listed = call(services, "GET", f"/tickets/{ticket_id}/conversation")
    turns = listed.json()["turns"]
    assert listed.status == 200 and listed.json()["ticket_id"] == ticket_id
    assert [(t["role"], t["text"]) for t in turns] == [
        ("USER", "What was the issue?"),
        ("ASSISTANT", reply["reply"]["text"]),
    ]


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "   "}, {"text": "x" * 2001}, {"words": "hi"}])
def test_an_invalid_message_is_a_400_and_stores_nothing(services: FakeServices, body: Any) -> None:
    ticket_id = call(services, "POST", "/tickets", VALID).json()["ticket_id"]
    assert call(services, "POST", f"/tickets/{ticket_id}/messages", body).error == (400, "invalid_message")
    assert services.conversation.stored == {}


def test_messages_to_an_unknown_ticket_are_404(services: FakeServices) -> None:
    for method, path, body in [
        ("POST", "/tickets/tkt-20261125-000000000000/messages", {"text": "hi"}),
        ("GET", "/tickets/tkt-20261125-000000000000/conversation", None),
        ("POST", "/tickets/not-a-ticket/messages", {"text": "hi"}),
    ]:
        assert call(services, method, path, body).error == (404, "ticket_not_found")
    assert services.conversation.stored == {}


# Every route


def test_unknown_routes_are_a_json_404(services: FakeServices) -> None:
    assert call(services, "GET", "/nothing-here").error == (404, "not_found")
    assert call(services, "DELETE", "/tickets").error == (404, "not_found")


def test_an_unexpected_error_is_a_json_500_without_details(
    services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(tickets, "ticket_record", boom)
    answer = call(services, "GET", "/tickets/tkt-20261125-000000000000")
    assert answer.error == (500, "internal_error") and "secret" not in answer.text


def test_a_domain_error_the_api_does_not_expect_is_a_500_without_its_words(
    services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_: Any) -> None:
        raise domain.PlanNotApproved("internal detail of the workflow")

    monkeypatch.setattr(tickets, "ticket_record", refused)
    answer = call(services, "GET", "/tickets/tkt-20261125-000000000000")
    assert answer.error == (500, "internal_error") and "internal detail" not in answer.text


def test_json_responses_are_not_cached_or_sniffed_and_pages_cannot_be_framed(services: FakeServices) -> None:
    answer = call(services, "GET", "/tickets/tkt-20261125-000000000000")
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    page = call(
        services, "GET", "/approvals/tkt-20261125-000000000000", headers={"Accept": "text/html"}, query={"token": ["x"]}
    )
    assert page.content_type.startswith("text/html")
    assert (page.headers["Referrer-Policy"], page.headers["Cache-Control"]) == ("no-referrer", "no-store")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_errors_outside_the_approval_routes_are_json_even_for_a_browser(services: FakeServices) -> None:
    answer = call(services, "GET", "/tickets/nope", headers={"Accept": "text/html"})
    assert answer.error == (404, "ticket_not_found")


def bad_requests(token: str) -> list[dict[str, Any]]:
    """A refused request for every route that can change something, one per way of being wrong."""
    ticket = f"/tickets/{WAITING.ticket_id}"
    approval = f"/approvals/{WAITING.ticket_id}"
    form: dict[str, str | list[str]] = {"Content-Type": "application/x-www-form-urlencoded"}
    return [
        event("POST", "/tickets", "{not json"),
        event("POST", "/tickets", {**VALID, "customer_email": "nope"}),
        event("POST", "/tickets", VALID, headers={"Content-Type": "text/plain"}),
        event("POST", "/tickets", json.dumps({**VALID, "pad": "x" * 70_000})),
        event("POST", "/tickets", VALID, headers={**JSON, "Idempotency-Key": ["a", "b"]}),
        event("POST", f"{ticket}/messages", {"text": ""}),
        event("POST", f"{ticket}/messages", "[1]"),
        event("POST", f"{ticket}/messages", {"text": "hi"}, headers={"Content-Type": "text/plain"}),
        event("POST", "/tickets/nope/messages", {"text": "hi"}),
        event("POST", "/tickets/tkt-20261125-000000000000/resume"),
        event("POST", approval, {"token": token, "decision": "maybe"}),
        event("POST", approval, {"token": token, "decision": "approve", "comment": "x" * 5000}),
        event("POST", approval, {"decision": "approve"}),
        event("POST", approval, {"token": token, "decision": ["approve"]}),
        event("POST", approval, urlencode([("token", token), ("token", token), ("decision", "approve")]), headers=form),
        event("POST", approval, f"token={quote(token)}&decision=approve", headers={"Content-Type": "text/plain"}),
        event("POST", approval, {"token": token[:-2], "decision": "approve"}),
        event("POST", "/approvals/nope", {"token": token, "decision": "approve"}),
        event("GET", approval, query={"token": [token, token]}),
    ]


def test_a_refused_request_changes_nothing(services: FakeServices, waiting: str) -> None:
    before = world(services)
    for request in bad_requests(waiting):
        answer = send(services, request)
        assert 400 <= answer.status < 500, (request["path"], request["body"], answer.status)
        assert world(services) == before, (request["path"], request["body"])


# The error table


# Domain errors the API never answers with, and why; any other must be in api/errors.DOMAIN_ERRORS.
NOT_FOR_THE_API = {
    domain.SupportflowError: "the base class; only its subclasses are raised",
    domain.TaskNoLongerWaiting: "logic.approvals turns it into AlreadyDecided, ApprovalExpired or ApprovalWindowClosed",
    domain.EmailRejected: "only workflow tasks send email",
    domain.PlanNotApproved: "only the Execute task raises it",
    domain.ResolutionStepFailed: "only the Execute task raises it",
    domain.EventsNotPublished: "only workflow steps and the republisher publish events, and neither lets it out",
    domain.ExecutorUnavailable: "only the executors Execute calls raise it (the state machine retries)",
}


def test_every_domain_error_is_mapped_to_http_or_deliberately_not() -> None:
    raised = {
        cls
        for cls in vars(domain).values()
        if isinstance(cls, type) and issubclass(cls, domain.SupportflowError) and cls.__module__ == domain.__name__
    }
    assert set(api_errors.DOMAIN_ERRORS) | set(NOT_FOR_THE_API) == raised
    assert not set(api_errors.DOMAIN_ERRORS) & set(NOT_FOR_THE_API)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (domain.ApprovalExpired("x"), (410, "approval_expired")),  # not its parent's approval_closed
        (domain.ApprovalWindowClosed("x"), (410, "approval_closed")),
        (domain.AlreadyDecided("x"), (409, "already_decided")),
        (domain.TicketIdTaken("x"), (503, "workflow_unavailable")),
        (domain.TaskNoLongerWaiting("x"), (500, "internal_error")),
        (api_errors.PayloadTooLarge("x"), (413, "payload_too_large")),
    ],
)
def test_an_error_maps_to_its_own_status_and_code_before_its_parents(
    error: Exception, expected: tuple[int, str]
) -> None:
    assert api_errors.status_and_code(error) == expected


def test_a_ticket_store_that_cannot_answer_now_is_503_store_unavailable(
    services: FakeServices, waiting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def throttled(*_: Any) -> Any:
        raise StoreUnavailable(
            "The ticket store could not read the ticket's checkpoints right now; nothing was changed."
        )

    monkeypatch.setattr(services.checkpoints, "history", throttled)
    answer = call(services, "GET", f"/tickets/{WAITING.ticket_id}")
    assert answer.error == (503, "store_unavailable") and "nothing was changed" in answer.json()["message"]


def test_the_ticket_view_links_its_newest_execution_in_the_step_functions_console(
    services: FakeServices, waiting: str
) -> None:
    view = call(services, "GET", f"/tickets/{WAITING.ticket_id}").json()
    arn = f"arn:aws:states:us-east-1:123456789012:execution:tickets:{WAITING.ticket_id}"
    assert view["execution_console_url"] == (
        f"https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{arn}"
    )
    assert view["executions"][-1]["name"] == WAITING.ticket_id
