"""Opening a signed link that answers a waiting task (a confirmation, a step report): the shared first moves.

Verify the token for its purpose (each kind of link refuses the others), turn the
signer's refusal into the caller's own errors, and read what the answer is checked
against: the ticket, its newest checkpoint, which request the link names, and whether
the workflow still runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.checkpoint import Checkpoint
from ..domain.errors import ApprovalLinkExpired, ApprovalLinkInvalid, SupportflowError
from ..domain.models import Ticket
from ..ports import Services
from .checkpoints import latest_checkpoint
from .tickets import require_ticket_id


@dataclass(frozen=True)
class OpenedLink:
    ticket: Ticket
    latest: Checkpoint
    number: int  # the request the link was issued for (its claims' round)
    running: bool  # whether the ticket's newest run still runs, so something may still wait


def open_link(
    services: Services,
    ticket_id: str,
    token: str,
    now: datetime,
    *,
    purpose: str,
    invalid: SupportflowError,
    expired: SupportflowError,
) -> OpenedLink:
    """The link's ticket and request; `invalid` for a forged or foreign token, `expired` for an expired one."""
    require_ticket_id(ticket_id)
    try:
        claims = services.signer.verify(token, ticket_id=ticket_id, now=now, purpose=purpose)
    except ApprovalLinkInvalid:
        raise invalid from None
    except ApprovalLinkExpired:
        raise expired from None
    ticket, runs = services.workflow.runs(ticket_id)
    return OpenedLink(ticket, latest_checkpoint(services.checkpoints, ticket), claims.round, runs[-1].running)
