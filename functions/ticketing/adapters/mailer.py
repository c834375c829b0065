"""Sends email through Amazon SES (v2), with a plain-text and an HTML part."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import EmailRejected
from ..domain.notifications import Email

# SES refuses these for this message or this account: sending the same again cannot help,
# so they are not retried (throttling and service errors are, by botocore and the step's Retry).
_REFUSED = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "SendingPausedException",
        # a missing permission (for example on a sandbox recipient) does not heal by retrying
        "AccessDeniedException",
    }
)


class SesMailer:
    def __init__(self, ses_client: Any, sender: str) -> None:
        self._client = ses_client
        self._sender = sender

    def send(self, email: Email) -> str:
        """Send one email; returns the SES message id."""
        try:
            response = self._send(email)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in _REFUSED:
                raise EmailRejected(f"SES refused the {email.kind} email ({code}): {error}") from error
            raise
        return str(response["MessageId"])

    def _send(self, email: Email) -> dict[str, Any]:
        response: dict[str, Any] = self._client.send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": list(email.to)},
            Content={
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                }
            },
            EmailTags=[{"Name": "kind", "Value": email.kind}],
        )
        return response
