"""`supportflow tickets` and `supportflow show`: the console's lists as text, read over HTTP from a running stack."""

from __future__ import annotations

import urllib.error
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from ..http_client import ApiClient
from .history import ExecutionTrace, trail_lines
from .pages import CONSOLE, age

DEFAULT_URL = "http://127.0.0.1:8000"
Out = Callable[[str], None]
_COLUMNS = ("TICKET", "CUSTOMER", "STATE", "CATEGORY", "SEVERITY", "AGE", "WAITS ON", "SUBJECT")


class CommandFailed(RuntimeError):
    """What went wrong, said in a sentence, and the exit status that goes with it."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _get(url: str, path: str) -> tuple[int, Any]:
    try:
        reply = ApiClient(url, timeout=60).request("GET", path)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise CommandFailed(
            f"no local stack answers at {url} ({reason}); start one with `supportflow serve` or pass --url"
        ) from None
    try:
        return reply.status, reply.json()
    except ValueError:
        raise CommandFailed(f"{url} answered {reply.status} with something that is not the console's JSON") from None


def table(rows: list[list[str]]) -> list[str]:
    """Rows under the column names, each column as wide as its widest cell (the last one left ragged)."""
    everything = [list(_COLUMNS), *rows]
    widths = [max(len(row[i]) for row in everything) for i in range(len(_COLUMNS) - 1)]
    return ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]) for row in everything]


def tickets(url: str, state: str | None, out: Out = print) -> int:
    query = f"?{urlencode({'state': state})}" if state else ""
    status, body = _get(url, f"{CONSOLE}/tickets.json{query}")
    if status != 200:
        raise CommandFailed(str(body.get("message", status)))
    rows = [
        [
            t["ticket_id"],
            t["customer_id"],
            t["state"],
            t["category"] or "-",
            t["severity"] or "-",
            age(t["age_seconds"]),
            t["waits_on"] or "-",
            _one_line(t["subject"], 60),
        ]
        for t in body["tickets"]
    ]
    if not rows:
        out(f"No tickets{f' in state {state}' if state else ''} at {url}.")
        return 0
    for line in table(rows):
        out(line.rstrip())
    return 0


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def show(url: str, ticket_id: str, out: Out = print) -> int:
    status, body = _get(url, f"{CONSOLE}/tickets/{quote(ticket_id, safe='')}.json")
    if status == 404:
        raise CommandFailed(f"no ticket {ticket_id!r} at {url}", exit_code=1)
    if status != 200:
        raise CommandFailed(str(body.get("message", status)))
    view = body["ticket"]
    analysis = view.get("analysis") or {}
    out(f"Ticket {view['ticket_id']}: {view['state']}")
    out(f"  customer {view['customer_id']}, submitted {view['submitted_at']}")
    if analysis:
        out(f"  category {analysis['category']}, severity {analysis['severity']}")
    out(f"  {_one_line(view.get('subject') or view['description'], 100)}")
    out(f"  current step: {body['current_state'] or '-'}; console: {url.rstrip('/')}{CONSOLE}/tickets/{ticket_id}")
    executions = [ExecutionTrace.model_validate(e) for e in body["executions"]]
    for line in trail_lines(view["checkpoints"], executions):
        out(line)
    return 0
