from datetime import UTC, datetime

from ticketing.domain import notifications
from ticketing.domain.catalog import load_catalog
from ticketing.domain.triage import analyze_ticket

from ..conftest import make_ticket

HOSTILE = '<script>alert(1)</script> & "quotes"'


def test_approval_email_has_text_and_html_with_every_value_escaped():
    ticket = make_ticket(f"wifi drops {HOSTILE}")
    analysis = analyze_ticket(ticket)
    email = notifications.approval_request(
        ticket=ticket,
        analysis=analysis,
        plan=load_catalog().plan_for(analysis),
        approver="approver@example.com",
        link="http://x/approvals/t?token=a.b",
        expires_at=datetime(2026, 11, 28, tzinfo=UTC),
    )
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    assert HOSTILE in email.text
    assert "http://x/approvals/t?token=a.b" in email.text and email.to == ("approver@example.com",)
    assert "network.restart-router" in email.text and "2026-11-28 00:00 UTC" in email.text


def test_the_agents_wording_of_a_step_reaches_the_approver_escaped():
    from datetime import UTC, datetime

    from tests.conftest import make_ticket
    from ticketing.domain import notifications
    from ticketing.domain.catalog import load_catalog
    from ticketing.domain.triage import analyze_ticket

    ticket = make_ticket()
    analysis = analyze_ticket(ticket)
    plan = load_catalog().plan_for(analysis)
    first = plan.steps[0].model_copy(update={"note": "Check <b>your</b> router first"})
    plan = plan.model_copy(update={"steps": [first, *plan.steps[1:]]})
    email = notifications.approval_request(
        ticket=ticket,
        analysis=analysis,
        plan=plan,
        approver="a@example.com",
        link="https://x/approvals/t?token=1",
        expires_at=datetime(2026, 11, 28, tzinfo=UTC),
    )
    assert "The assistant's note (model-written): Check <b>your</b> router first" in email.text
    assert "The assistant's note (model-written): Check &lt;b&gt;your&lt;/b&gt; router first" in email.html
