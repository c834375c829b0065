"""How a ticket's text is put in front of a model: as data between <ticket> tags it cannot close.

The text is the customer's and may try to instruct the model ("ignore the above…").
Angle brackets are replaced, so a `</ticket>` in it cannot end the data block early.
"""

from __future__ import annotations

from ..domain.models import Ticket

_BRACKETS = str.maketrans({"<": "‹", ">": "›"})


def ticket_block(ticket: Ticket) -> str:
    """The subject and description as one tagged data block for a prompt."""
    subject = ticket.subject.translate(_BRACKETS)
    description = ticket.description.translate(_BRACKETS)
    return f"<ticket>\nSubject: {subject}\n{description}\n</ticket>"


def data_block(tag: str, text: str) -> str:
    """Text someone other than us wrote (a reviewer's feedback), as a data block it cannot close."""
    return f"<{tag}>\n{text.translate(_BRACKETS)}\n</{tag}>"
