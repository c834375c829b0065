from datetime import UTC, datetime, timedelta

from ticketing.domain.checkpoint import Checkpoint, CheckpointData, in_order
from ticketing.domain.models import TicketState

from ..conftest import make_ticket

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def checkpoint(sequence: int, state: TicketState = TicketState.ANALYZING, at: datetime = T0) -> Checkpoint:
    return Checkpoint.seal(
        ticket_id="tkt-20261125-0123456789ab",
        state=state,
        sequence=sequence,
        created_at=at,
        step_key=f"exec/{state.value}/{sequence}",
        data=CheckpointData(ticket=make_ticket()),
    )


def test_a_sealed_checkpoint_verifies_and_any_change_breaks_it():
    sealed = checkpoint(1)
    assert sealed.verify()
    assert not sealed.model_copy(update={"state": TicketState.COMPLETED}).verify()


def test_the_hash_survives_a_json_round_trip():
    sealed = checkpoint(3, TicketState.AWAITING_APPROVAL)
    again = Checkpoint.model_validate_json(sealed.model_dump_json())
    assert again.verify() and again.content_hash == sealed.content_hash


def test_the_order_is_by_sequence_whatever_the_listing_or_timestamps():
    same_second = [checkpoint(2, at=T0), checkpoint(3, TicketState.AWAITING_APPROVAL, at=T0), checkpoint(1, at=T0)]
    assert [c.sequence for c in in_order(same_second)] == [1, 2, 3]
    assert [c.sequence for c in in_order(reversed(same_second))] == [1, 2, 3]
    # a clock that went backwards does not beat a higher sequence
    assert in_order([checkpoint(5, at=T0 - timedelta(hours=1)), checkpoint(4, at=T0)])[-1].sequence == 5


def test_no_checkpoints_is_an_empty_history():
    assert in_order([]) == []


def test_in_order_is_oldest_first_and_counts_a_duplicate_once():
    duplicate = checkpoint(2, at=T0 + timedelta(seconds=1))
    ordered = in_order([checkpoint(3), checkpoint(1), checkpoint(2), duplicate])
    assert [c.sequence for c in ordered] == [1, 2, 3]
    assert ordered[1] == duplicate


def test_timestamps_are_timezone_aware_utc():
    assert checkpoint(1).model_dump(mode="json")["created_at"].endswith("Z")
