"""The approver's path in a real browser: headless Chromium (Debian's), driven by Playwright.

Open the approval email in the local outbox, follow its link, edit the plan on the page
(move a step with its link, drop one, write a note), approve, see what will run, and find
the ticket COMPLETED with exactly those steps in that order. The page needs no script, and
the browser reports no console error. The approval page's screenshot is kept as
tests/artifacts/approval-page.png; with SUPPORTFLOW_UPDATE_DOCS=1 it also replaces docs/approval-page.png,
which the README shows (so an ordinary run leaves the work tree as it was).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_runtime.http_client import ApiClient
from local_runtime.runtime import LocalRuntime
from tests.figures import ARTIFACTS

from .conftest import emails_for, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow

# Debian's chromium, installed by .ci/run; Playwright's own browser download is not used.
CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).parents[2] / "docs"
DOCS_SCREENSHOT = DOCS / "approval-page.png"


def describe(message: Any) -> str:
    """A console message with the resource it is about, when it names one."""
    return f"{message.text} {message.location.get('url', '')}".strip()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


def test_an_approver_edits_and_approves_from_the_email_in_a_real_browser(
    api: ApiClient, stack: LocalRuntime, browser: Any
) -> None:
    reply = api.submit(
        {
            "customer_id": "cust-browser",
            "customer_email": "browser@example.com",
            "subject": "Internet keeps dropping",
            "description": "My internet connection keeps dropping every few minutes since yesterday.",
        }
    )
    assert reply.status == 202, reply.text
    ticket_id = reply.json()["ticket_id"]
    plan = wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})["plan"]
    first, second, third, *rest = [step["action_id"] for step in plan["steps"]]
    deadline = time.monotonic() + 10
    while not emails_for(api, ticket_id, "approval-request"):  # sent just after the checkpoint
        assert time.monotonic() < deadline, "no approval email"
        time.sleep(0.05)

    page = browser.new_page(viewport={"width": 900, "height": 1000})
    page.set_default_timeout(20_000)
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(describe(message)) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.goto(f"{stack.base_url}/_local/mail")
    page.get_by_role("link", name=f"Approval needed: {ticket_id}", exact=False).click()
    page.get_by_role("link", name="Review and decide").click()

    page.wait_for_url(f"**/approvals/{ticket_id}?token=*")
    assert page.get_by_role("heading", name="Review the proposed resolution").is_visible()
    assert page.locator("#plan li code").all_inner_texts() == [first, second, third, *rest]

    # Move the first step down: a link to this page with the new order (no script runs).
    page.locator(f"li[id='step-{first}']").get_by_role("link", name="Move down").click()
    page.wait_for_url("**order=*")
    assert page.locator("#plan li code").all_inner_texts() == [second, first, third, *rest]
    page.locator(f"input[id='keep-{third}']").uncheck()
    page.locator(f"li[id='step-{second}'] summary").click()
    page.locator(f"textarea[name='notes[{second}]']").fill("Ask the customer to stay on the line.")
    page.locator("#comment").fill("Approved from the browser test.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "approval-page.png"), full_page=True)
    if os.environ.get("SUPPORTFLOW_UPDATE_DOCS") == "1":
        DOCS_SCREENSHOT.write_bytes((ARTIFACTS / "approval-page.png").read_bytes())

    page.get_by_role("button", name="Approve", exact=True).click()
    outcome = page.locator("#outcome")
    outcome.wait_for()
    assert "Approved" in outcome.inner_text() and "Approved from the browser test." in outcome.inner_text()
    approved = [second, first, *rest]
    assert page.locator("#will-run li code").all_inner_texts() == approved
    assert "Ask the customer to stay on the line." in outcome.inner_text()
    page.close()

    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert view["decision"]["comment"] == "Approved from the browser test."
    assert [r["action_id"] for r in view["step_results"]] == approved
    assert [s["action_id"] for s in view["approved_plan"]["steps"]] == approved
    assert view["approved_plan"]["steps"][0]["reviewer_note"] == "Ask the customer to stay on the line."
    assert view["decision"]["changes"]["dropped"] == [third]
    # The browser's own request for the origin's /favicon.ico is no page's doing: the API serves no icon
    # (nor does API Gateway), and the pages' CSP allows no inline one.
    assert [e for e in console_errors if not e.endswith("/favicon.ico")] == []
    assert (ARTIFACTS / "approval-page.png").stat().st_size > 10_000


def keep_screenshot(page: Any, name: str) -> None:
    """Into tests/artifacts; with SUPPORTFLOW_UPDATE_DOCS=1 also into docs/, which the README shows."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    if os.environ.get("SUPPORTFLOW_UPDATE_DOCS") == "1":
        (DOCS / name).write_bytes((ARTIFACTS / name).read_bytes())


def test_an_operator_opens_the_console_and_sees_where_a_ticket_stands(
    api: ApiClient, stack: LocalRuntime, browser: Any
) -> None:
    ticket_id, link = submit_and_wait_for_link(api, "My internet keeps dropping <b>every few minutes</b>.")
    assert api.post_decision(link, "approve", accept="application/json").status == 200
    wait_for_state(api, ticket_id, {"COMPLETED"})
    waiting, _ = submit_and_wait_for_link(api, "I cannot log in since this morning; it says my password is wrong.")

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(describe(message)) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(stack.base_url) or request.url.startswith("data:")
            else console_errors.append(f"network request to {request.url}")
        ),
    )

    page.goto(f"{stack.base_url}/_local/console")
    row = page.locator(f"tr[data-ticket='{ticket_id}']")
    assert "COMPLETED" in row.inner_text()
    assert "approver: approver@example.com" in page.locator(f"tr[data-ticket='{waiting}']").inner_text()
    keep_screenshot(page, "console-list.png")
    row.get_by_role("link", name=ticket_id).click()

    page.wait_for_url(f"**/_local/console/tickets/{ticket_id}")
    graph = page.locator("svg.state-machine")
    assert graph.is_visible()
    assert page.locator("svg.state-machine g.state.current").evaluate_all("gs => gs.map(g => g.dataset.state)") == [
        "Completed"
    ]
    lit = page.locator("svg.state-machine g.state.visited").evaluate_all("gs => gs.map(g => g.dataset.state)")
    assert {"Analyze issue", "Find resolution", "Await approval", "Execute resolution"} <= set(lit)
    assert page.locator("#checkpoints tbody tr").count() >= 5
    page.locator("#checkpoints tbody tr").first.locator("summary").click()
    assert '"ticket_id"' in page.locator("#checkpoints tbody tr").first.locator("pre").inner_text()
    assert "<b>every few minutes</b>" in page.locator(".description").inner_text()  # shown as text
    keep_screenshot(page, "console-ticket.png")
    page.close()
    assert console_errors == []
