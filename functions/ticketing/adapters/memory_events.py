"""Reading one kind of event from a ticket's AgentCore Memory session, every page of it.

Checkpoints and conversation turns share the session; each event is tagged with
its kind in metadata, and a read asks for one kind (AWS filters, moto ignores the
filter, so each store still checks what it parses).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import StoreUnavailable
from .aws_errors import error_code, is_passing

PAGE_SIZE = 100


def tag(value: str) -> dict[str, str]:
    """A metadata value as CreateEvent and the ListEvents filter spell it."""
    return {"stringValue": value}


def session_events(
    client: Any, memory_id: str, ticket_id: str, customer_id: str, kind: str
) -> Iterator[dict[str, Any]]:
    """Every event of `kind` in the ticket's session, with payloads, across all pages."""
    request: dict[str, Any] = {
        "memoryId": memory_id,
        "actorId": customer_id,
        "sessionId": ticket_id,
        "includePayloads": True,
        "maxResults": PAGE_SIZE,
        "filter": {
            "eventMetadata": [
                {"left": {"metadataKey": "kind"}, "operator": "EQUALS_TO", "right": {"metadataValue": tag(kind)}}
            ]
        },
    }
    while True:
        page = client.list_events(**request)
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return
        request["nextToken"] = token


def blobs(event: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
    """The blob payloads of an event of `kind` (none for another kind: a listing filter is not trusted)."""
    tags = event.get("metadata") or {}
    if tags.get("kind", {}).get("stringValue") != kind:
        return
    for item in event.get("payload", []):
        blob = item.get("blob")
        if isinstance(blob, dict):
            yield blob


# AgentCore Memory answers these (or a 5xx) when a later attempt may succeed.
_PASSING = frozenset(
    {"ThrottlingException", "ServiceQuotaExceededException", "ServiceException", "InternalServerException"}
)


@contextmanager
def store_errors(what: str) -> Iterator[None]:
    """Turn AgentCore Memory's passing failures into `StoreUnavailable`; anything else stays as it is."""
    try:
        yield
    except ClientError as error:
        if is_passing(error, _PASSING):
            raise StoreUnavailable(
                f"The ticket store could not {what} right now ({error_code(error)}); nothing was changed. "
                "Please try again."
            ) from error
        raise
