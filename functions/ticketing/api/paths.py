"""Path parameters shared by the routers."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from ..domain.models import TICKET_ID_PATTERN

_TICKET_ID_DOC = "A ticket id as returned by POST /tickets (tkt-YYYYMMDD- and 12 hex digits); anything else is 404."
# Documents the path parameter; logic refuses other ids with 404 (Powertools validation is off: see http.py).
TicketId = Annotated[str, Path(pattern=TICKET_ID_PATTERN, description=_TICKET_ID_DOC)]
