import pytest
from pydantic import ValidationError

from ticketing.api.contract import TicketBody
from ticketing.domain.models import MAX_DESCRIPTION_CHARS

VALID = {"customer_id": "cust-42", "customer_email": "jo@example.com", "description": "Wifi drops"}


def test_a_valid_request_is_accepted_and_trimmed():
    request = TicketBody.model_validate({**VALID, "description": "  Wifi drops  "})
    assert request.description == "Wifi drops" and request.subject == ""


@pytest.mark.parametrize(
    "change",
    [
        {"description": ""},
        {"description": "   "},
        {"description": "x" * (MAX_DESCRIPTION_CHARS + 1)},
        {"description": "x" * MAX_DESCRIPTION_CHARS + " "},  # limits count the text as sent, as the schema says
        {"customer_email": "jo@example.com\n"},
        {"customer_email": " jo@example.com"},
        {"customer_email": "not-an-email"},
        {"customer_id": "../etc/passwd"},
        {"customer_id": ""},
        {"customer_id": "a" * 65},
        {"subject": "s" * 201},
        {"unexpected": "field"},
        {"description": 42},
    ],
)
def test_invalid_requests_are_refused(change):
    with pytest.raises(ValidationError):
        TicketBody.model_validate({**VALID, **change})


@pytest.mark.parametrize("missing", ["customer_id", "customer_email", "description"])
def test_required_fields(missing):
    with pytest.raises(ValidationError):
        TicketBody.model_validate({k: v for k, v in VALID.items() if k != missing})
