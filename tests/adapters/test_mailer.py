"""`SesMailer`: email through SES v2; a refusal for good is `EmailRejected`, anything else may heal.

The state machine does not retry `EmailRejected` (tests/infra/test_contract.py), so
which codes become it decides whether a step retries.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ticketing.adapters.mailer import SesMailer
from ticketing.domain.errors import EmailRejected
from ticketing.domain.notifications import Email

from .conftest import SENDER, client

EMAIL = Email(to=("a@example.com",), subject="S", text="T", html="<p>H</p>", kind="approval-request")


def test_an_email_goes_out_from_the_verified_sender(aws, moto_stack):
    message_id = aws.mailer.send(EMAIL)
    (sent,) = moto_stack.sent_emails()
    assert message_id and sent.source == SENDER
    assert sent.destinations["ToAddresses"] == ["a@example.com"]


def test_an_unverified_sender_is_refused_for_good(moto_stack):
    with pytest.raises(EmailRejected, match="approval-request"):
        SesMailer(client("sesv2"), "nobody@unverified.example").send(EMAIL)
    assert moto_stack.sent_emails() == []


def test_the_email_has_a_text_and_an_html_part_and_is_tagged_with_its_kind():
    ses = client("sesv2")
    with Stubber(ses) as stub:
        stub.add_response(
            "send_email",
            {"MessageId": "m-1"},
            {
                "FromEmailAddress": "from@example.com",
                "Destination": {"ToAddresses": ["a@example.com"]},
                "Content": {
                    "Simple": {
                        "Subject": {"Data": "S", "Charset": "UTF-8"},
                        "Body": {
                            "Text": {"Data": "T", "Charset": "UTF-8"},
                            "Html": {"Data": "<p>H</p>", "Charset": "UTF-8"},
                        },
                    }
                },
                "EmailTags": [{"Name": "kind", "Value": "approval-request"}],
            },
        )
        assert SesMailer(ses, "from@example.com").send(EMAIL) == "m-1"


@pytest.mark.parametrize(
    "code",
    [
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "SendingPausedException",
        "AccessDeniedException",
    ],
)
def test_a_refusal_sending_again_cannot_fix_is_email_rejected(code):
    ses = client("sesv2")
    with Stubber(ses) as stub:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=400)
        with pytest.raises(EmailRejected, match=code):
            SesMailer(ses, "from@example.com").send(EMAIL)


@pytest.mark.parametrize(("code", "status"), [("TooManyRequestsException", 429), ("InternalFailure", 500)])
def test_throttling_and_service_errors_stay_retryable(code, status):
    ses = client("sesv2")
    with Stubber(ses) as stub:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=status)
        with pytest.raises(ClientError) as raised:
            SesMailer(ses, "from@example.com").send(EMAIL)
    assert raised.value.response["Error"]["Code"] == code
