"""Sends email through Amazon SES (v2), with a plain-text and an HTML part."""

from __future__ import annotations

from typing import Any

from ..domain.notifications import Email


class SesMailer:
    def __init__(self, ses_client: Any, sender: str) -> None:
        self._client = ses_client
        self._sender = sender

    def send(self, email: Email) -> str:
        """Send one email; returns the SES message id."""
        response = self._client.send_email(
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
        return str(response["MessageId"])
