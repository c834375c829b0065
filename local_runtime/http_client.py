"""A small HTTP client for the local API (used by the demo, the benchmark and the tests)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

LINK = re.compile(r"https?://\S+/approvals/\S+")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class ApiClient:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        full = url if url.startswith("http") else self.base_url + url
        req = urllib.request.Request(full, data=body, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())

    def submit(self, ticket: dict[str, Any]) -> Reply:
        return self.request("POST", "/tickets", json.dumps(ticket).encode(), {"Content-Type": "application/json"})

    def ticket(self, ticket_id: str) -> Reply:
        return self.request("GET", f"/tickets/{ticket_id}")

    def message(self, ticket_id: str, text: str) -> Reply:
        """A customer's message on a ticket; the reply carries the agent's answer."""
        body = json.dumps({"text": text}).encode()
        return self.request("POST", f"/tickets/{ticket_id}/messages", body, {"Content-Type": "application/json"})

    def conversation(self, ticket_id: str) -> Reply:
        return self.request("GET", f"/tickets/{ticket_id}/conversation")

    def outbox(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", "/_local/outbox").json()
        return result

    def open_page(self, link: str) -> Reply:
        return self.request("GET", link, headers={"Accept": "text/html"})

    def post_decision(
        self,
        link: str,
        decision: str,
        comment: str = "",
        accept: str = "text/html",
        *,
        reason: str | None = None,
        feedback: str = "",
        steps: list[str] | None = None,
        notes: dict[str, str] | None = None,
        notify_customer: bool = False,
    ) -> Reply:
        """Post the approval form the way the page's buttons do (a rejection says why: `reason`, else a default)."""
        parts = urlsplit(link)
        token = parse_qs(parts.query).get("token", [""])[0]
        fields: list[tuple[str, str]] = [("token", token), ("decision", decision), ("comment", comment)]
        if decision == "reject":
            fields.append(("reason", reason if reason is not None else "Not the right fix for this ticket."))
            fields.append(("notify_customer", "true" if notify_customer else "false"))
        if feedback:
            fields.append(("feedback", feedback))
        fields += [("steps", step) for step in steps or []]
        fields += [(f"notes[{action_id}]", note) for action_id, note in (notes or {}).items()]
        form = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        return self.request("POST", f"{parts.scheme}://{parts.netloc}{parts.path}", form, headers)


def approval_link(email: dict[str, Any]) -> str:
    """The approval link in an email's text part."""
    found = LINK.search(email["text"])
    if not found:
        raise ValueError(f"no approval link in email {email.get('subject')!r}")
    return found.group(0)
