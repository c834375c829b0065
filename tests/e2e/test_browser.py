"""The approver's path in a real browser: headless Chromium (Debian's), driven by Playwright.

Open the approval email in the local outbox, follow its link, read the plan on the
page, approve with a comment, see the confirmation, and find the ticket COMPLETED.
The approval page's screenshot is kept as tests/artifacts/approval-page.png.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_runtime.http_client import ApiClient
from tests.figures import ARTIFACTS

from .conftest import emails_for, wait_for_state

pytestmark = pytest.mark.slow

# Debian's chromium, installed by .ci/run; Playwright's own browser download is not used.
CHROMIUM = Path("/usr/bin/chromium")


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


def test_an_approver_approves_from_the_email_in_a_real_browser(api: ApiClient, stack, browser):
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
    deadline = time.monotonic() + 10
    while not emails_for(api, ticket_id, "approval-request"):  # sent just after the checkpoint
        assert time.monotonic() < deadline, "no approval email"
        time.sleep(0.05)

    page = browser.new_page(viewport={"width": 900, "height": 1000})
    page.set_default_timeout(20_000)
    page.goto(f"{stack.base_url}/_local/mail")
    page.get_by_role("link", name=f"Approval needed: {ticket_id}", exact=False).click()
    page.get_by_role("link", name="Review and decide").click()

    page.wait_for_url(f"**/approvals/{ticket_id}?token=*")
    assert page.get_by_role("heading", name="Review the proposed resolution").is_visible()
    shown = page.locator("#plan li code").all_inner_texts()
    assert shown == [step["action_id"] for step in plan["steps"]]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "approval-page.png"), full_page=True)

    page.locator("#comment").fill("Approved from the browser test.")
    page.get_by_role("button", name="Approve").click()
    outcome = page.locator("#outcome")
    outcome.wait_for()
    assert "Approved" in outcome.inner_text() and "Approved from the browser test." in outcome.inner_text()
    page.close()

    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert view["decision"]["comment"] == "Approved from the browser test."
    assert [r["action_id"] for r in view["step_results"]] == [s["action_id"] for s in plan["steps"]]
    assert (ARTIFACTS / "approval-page.png").stat().st_size > 10_000
