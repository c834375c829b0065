"""`AgentCoreActionJournal`: executors' notes per (ticket, action), on moto with the AWS-like Memory emulation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import make_ticket
from tests.local_runtime.emulated_memory import MotoMemory, moto_memory_fixture  # noqa: F401 (the fixture)
from ticketing.adapters.action_journal import AgentCoreActionJournal
from ticketing.domain.execution import JournalEntry

TICKET = make_ticket()
AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def entry(action_id: str, kind: str = "command-sent", command_id: str = "c-1", minutes: int = 0) -> JournalEntry:
    return JournalEntry.model_validate(
        {
            "ticket_id": TICKET.ticket_id,
            "action_id": action_id,
            "kind": kind,
            "recorded_at": AT + timedelta(minutes=minutes),
            "command_id": command_id,
            "instance_ids": ["i-1"],
            "document": "doc",
        }
    )


def test_entries_are_read_back_per_action_oldest_first(moto_memory: MotoMemory):
    journal = AgentCoreActionJournal(moto_memory.client(), moto_memory.memory_id)
    journal.record(entry("a.one", "identity-requested", "", 0), TICKET.customer_id)
    journal.record(entry("a.two"), TICKET.customer_id)
    journal.record(entry("a.one", "identity-done", "", 1), TICKET.customer_id)
    assert [e.kind for e in journal.entries(TICKET.ticket_id, TICKET.customer_id, "a.one")] == [
        "identity-requested",
        "identity-done",
    ]
    assert journal.entries(TICKET.ticket_id, TICKET.customer_id, "a.two") == [entry("a.two")]


def test_the_same_entry_recorded_twice_reads_back_once(moto_memory: MotoMemory):
    journal = AgentCoreActionJournal(moto_memory.client(), moto_memory.memory_id)
    journal.record(entry("a.one"), TICKET.customer_id)
    journal.record(entry("a.one", minutes=5), TICKET.customer_id)  # a retry of the write
    assert journal.entries(TICKET.ticket_id, TICKET.customer_id, "a.one") == [entry("a.one")]


def test_another_customers_session_holds_none_of_the_entries(moto_memory: MotoMemory):
    journal = AgentCoreActionJournal(moto_memory.client(), moto_memory.memory_id)
    journal.record(entry("a.one"), TICKET.customer_id)
    assert journal.entries(TICKET.ticket_id, "someone-else", "a.one") == []
