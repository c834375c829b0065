"""The local AgentCore Memory answers ListEvents and CreateEvent as AWS documents them.

AWS: ListEvents lists newest first, pages by maxResults (1-100, default 20) with
nextToken, applies filter.eventMetadata and filter.branch, and includes payloads unless
told not to; CreateEvent with a clientToken the memory has seen returns the first event
and creates nothing. moto 5.2.5 alone does none of this (see local_runtime/agentcore_memory.py).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.handlers import BUILTIN_HANDLERS

from local_runtime import agentcore_memory
from tests.local_runtime.emulated_memory import MotoMemory, moto_memory

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ACTOR = "cust-1"
SESSION = "tkt-1"


def kind_is(value: str) -> dict[str, Any]:
    return {
        "left": {"metadataKey": "kind"},
        "operator": "EQUALS_TO",
        "right": {"metadataValue": {"stringValue": value}},
    }


def put(
    client: Any,
    memory: MotoMemory,
    number: int,
    *,
    at: datetime | None = None,
    actor: str = ACTOR,
    session: str = SESSION,
    **extra: Any,
) -> dict[str, Any]:
    """One event whose blob carries `number`; by default one second after the previous number."""
    event: dict[str, Any] = client.create_event(
        memoryId=memory.memory_id,
        actorId=actor,
        sessionId=session,
        eventTimestamp=at or START + timedelta(seconds=number),
        payload=[{"blob": {"n": number}}],
        **extra,
    )["event"]
    return event


def numbers(events: list[dict[str, Any]]) -> list[int]:
    return [event["payload"][0]["blob"]["n"] for event in events]


def every_page(client: Any, memory: MotoMemory, **request: Any) -> list[list[dict[str, Any]]]:
    """Pages from the first (or from `nextToken`) until the service gives no nextToken."""
    pages = []
    while True:
        page = client.list_events(memoryId=memory.memory_id, actorId=ACTOR, sessionId=SESSION, **request)
        pages.append(page["events"])
        if not page.get("nextToken"):
            return pages
        request["nextToken"] = page["nextToken"]


def count_events(client: Any, memory: MotoMemory) -> int:
    return sum(len(page) for page in every_page(client, memory, maxResults=100))


@pytest.fixture
def client(moto_memory: MotoMemory) -> Any:
    return moto_memory.client()


# --- order ---------------------------------------------------------------------------


def test_events_are_listed_newest_first_by_event_time_not_by_creation(client: Any, moto_memory: MotoMemory) -> None:
    for number in (3, 1, 4, 0, 2):
        put(client, moto_memory, number)

    listed = client.list_events(memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION)["events"]

    assert numbers(listed) == [4, 3, 2, 1, 0]


def test_events_in_the_same_second_list_the_later_created_first(client: Any, moto_memory: MotoMemory) -> None:
    # AWS keeps seconds and promises no order within one; locally the order is fixed so runs repeat.
    for number in range(5):
        put(client, moto_memory, number, at=START)

    listed = client.list_events(memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION)["events"]

    assert numbers(listed) == [4, 3, 2, 1, 0]


# --- pages ---------------------------------------------------------------------------


def test_pages_of_max_results_hold_every_event_exactly_once_newest_first(client: Any, moto_memory: MotoMemory) -> None:
    for number in range(250):
        put(client, moto_memory, number)

    pages = every_page(client, moto_memory, maxResults=100)

    assert [len(page) for page in pages] == [100, 100, 50]
    assert [n for page in pages for n in numbers(page)] == list(range(249, -1, -1))


def test_botocore_paginator_walks_every_page(client: Any, moto_memory: MotoMemory) -> None:
    for number in range(45):
        put(client, moto_memory, number)

    paginator = client.get_paginator("list_events")
    pages = list(
        paginator.paginate(
            memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION, PaginationConfig={"PageSize": 10}
        )
    )

    assert [len(page["events"]) for page in pages] == [10, 10, 10, 10, 5]
    assert "nextToken" not in pages[-1]


def test_without_max_results_a_page_holds_twenty_events(client: Any, moto_memory: MotoMemory) -> None:
    for number in range(21):
        put(client, moto_memory, number)

    page = client.list_events(memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION)

    assert numbers(page["events"]) == list(range(20, 0, -1))
    assert page.get("nextToken")


def test_events_created_between_pages_neither_repeat_nor_push_older_ones_out(
    client: Any, moto_memory: MotoMemory
) -> None:
    for number in range(30):
        put(client, moto_memory, number)
    first = client.list_events(memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION, maxResults=10)
    for number in range(30, 35):
        put(client, moto_memory, number)

    rest = every_page(client, moto_memory, maxResults=10, nextToken=first["nextToken"])

    assert numbers(first["events"]) == list(range(29, 19, -1))
    assert [n for page in rest for n in numbers(page)] == list(range(19, -1, -1))


def test_max_results_above_one_hundred_is_refused(client: Any, moto_memory: MotoMemory) -> None:
    with pytest.raises(client.exceptions.ValidationException, match="less than or equal to 100"):
        client.list_events(memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION, maxResults=101)


def test_a_next_token_from_another_query_is_refused(client: Any, moto_memory: MotoMemory) -> None:
    for number in range(3):
        put(client, moto_memory, number)
    token = client.list_events(memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION, maxResults=1)[
        "nextToken"
    ]

    with pytest.raises(client.exceptions.ValidationException, match="nextToken"):
        client.list_events(memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId="tkt-2", nextToken=token)


# --- filters -------------------------------------------------------------------------


def test_metadata_equals_to_keeps_only_matching_events(client: Any, moto_memory: MotoMemory) -> None:
    for number in range(6):
        put(client, moto_memory, number, metadata={"kind": {"stringValue": "checkpoint" if number % 3 else "turn"}})
    put(client, moto_memory, 6)  # no metadata at all

    listed = client.list_events(
        memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION, filter={"eventMetadata": [kind_is("turn")]}
    )["events"]

    assert numbers(listed) == [3, 0]


def test_metadata_filter_holds_across_pages(client: Any, moto_memory: MotoMemory) -> None:
    for number in range(250):
        put(client, moto_memory, number, metadata={"kind": {"stringValue": "odd" if number % 2 else "even"}})

    pages = every_page(client, moto_memory, maxResults=40, filter={"eventMetadata": [kind_is("odd")]})

    assert [len(page) for page in pages] == [40, 40, 40, 5]
    assert [n for page in pages for n in numbers(page)] == list(range(249, 0, -2))


def test_exists_and_not_exists_test_the_key_and_all_conditions_must_hold(client: Any, moto_memory: MotoMemory) -> None:
    put(client, moto_memory, 0, metadata={"kind": {"stringValue": "vote"}, "round": {"stringValue": "1"}})
    put(client, moto_memory, 1, metadata={"kind": {"stringValue": "vote"}})
    put(client, moto_memory, 2, metadata={"round": {"stringValue": "1"}})

    def listed(*conditions: dict[str, Any]) -> list[int]:
        return numbers(
            client.list_events(
                memoryId=moto_memory.memory_id,
                actorId=ACTOR,
                sessionId=SESSION,
                filter={"eventMetadata": list(conditions)},
            )["events"]
        )

    round_key = {"left": {"metadataKey": "round"}}
    assert listed({**round_key, "operator": "EXISTS"}) == [2, 0]
    assert listed({**round_key, "operator": "NOT_EXISTS"}) == [1]
    assert listed(kind_is("vote"), {**round_key, "operator": "EXISTS"}) == [0]


def test_a_filter_outside_the_model_is_refused(client: Any, moto_memory: MotoMemory) -> None:
    # botocore checks neither enums nor list maxima; the service does.
    unknown_operator = {"left": {"metadataKey": "kind"}, "operator": "STARTS_WITH"}
    with pytest.raises(client.exceptions.ValidationException, match="enum value set"):
        client.list_events(
            memoryId=moto_memory.memory_id,
            actorId=ACTOR,
            sessionId=SESSION,
            filter={"eventMetadata": [unknown_operator]},
        )
    with pytest.raises(client.exceptions.ValidationException, match="length less than or equal to 5"):
        client.list_events(
            memoryId=moto_memory.memory_id,
            actorId=ACTOR,
            sessionId=SESSION,
            filter={"eventMetadata": [kind_is("turn")] * 6},
        )


def test_the_emulation_applies_every_filter_and_operator_botocore_models() -> None:
    model = boto3.session.Session().client("bedrock-agentcore", region_name="us-east-1").meta.service_model
    list_filter = model.operation_model("ListEvents").input_shape.members["filter"]
    operator = list_filter.members["eventMetadata"].member.members["operator"]

    assert set(list_filter.members) == agentcore_memory.FILTERS
    assert set(operator.enum) == agentcore_memory.OPERATORS


def test_branch_filter_lists_the_branch_and_with_parents_the_main_events_up_to_the_fork(
    client: Any, moto_memory: MotoMemory
) -> None:
    main = [put(client, moto_memory, number) for number in range(3)]
    put(client, moto_memory, 3)  # on main, after the fork point
    for number in (10, 11):
        put(client, moto_memory, number, branch={"name": "edit", "rootEventId": main[1]["eventId"]})

    def listed(**branch: Any) -> list[int]:
        return numbers(
            client.list_events(
                memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION, filter={"branch": branch}
            )["events"]
        )

    assert listed(name="edit") == [11, 10]
    assert listed(name="edit", includeParentBranches=True) == [11, 10, 1, 0]
    assert listed(name="main") == [3, 2, 1, 0]


def test_payloads_are_included_unless_excluded(client: Any, moto_memory: MotoMemory) -> None:
    put(client, moto_memory, 0)

    def first(**request: Any) -> dict[str, Any]:
        event: dict[str, Any] = client.list_events(
            memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION, **request
        )["events"][0]
        return event

    assert first()["payload"] == [{"blob": {"n": 0}}]
    assert "payload" not in first(includePayloads=False)


def test_events_of_other_sessions_and_actors_never_appear(client: Any, moto_memory: MotoMemory) -> None:
    for number in range(5):
        put(client, moto_memory, number)
        put(client, moto_memory, 100 + number, session="tkt-2")
        put(client, moto_memory, 200 + number, actor="cust-2")

    pages = every_page(client, moto_memory, maxResults=2)

    assert [n for page in pages for n in numbers(page)] == [4, 3, 2, 1, 0]


# --- client tokens -------------------------------------------------------------------


def test_a_replayed_client_token_returns_the_first_event_and_creates_nothing(
    client: Any, moto_memory: MotoMemory
) -> None:
    first = put(client, moto_memory, 0, clientToken="vote-tkt-1-r1-alice")

    again = put(client, moto_memory, 0, clientToken="vote-tkt-1-r1-alice")

    assert again == first
    assert count_events(client, moto_memory) == 1


def first_request(memory: MotoMemory) -> dict[str, Any]:
    return {
        "memoryId": memory.memory_id,
        "actorId": ACTOR,
        "sessionId": SESSION,
        "eventTimestamp": START,
        "payload": [{"blob": {"n": 0}}],
        "clientToken": "tok",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"payload": [{"blob": {"n": 1}}]},
        {"eventTimestamp": START + timedelta(seconds=1)},
        {"metadata": {"kind": {"stringValue": "vote"}}},
        {"sessionId": "tkt-2"},
        {"actorId": "cust-2"},
        {"branch": {"name": "retry"}},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_client_token_replayed_with_a_different_request_is_refused_and_creates_nothing(
    client: Any, moto_memory: MotoMemory, change: dict[str, Any]
) -> None:
    request = first_request(moto_memory)
    first = client.create_event(**request)["event"]

    with pytest.raises(ClientError) as refused:
        client.create_event(**{**request, **change})

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["reason"] == "IdempotentParameterMismatchException"
    assert client.create_event(**request)["event"] == first  # the token still answers its own request
    assert count_events(client, moto_memory) == 1


def test_a_replay_may_give_the_same_timestamp_as_epoch_seconds(client: Any, moto_memory: MotoMemory) -> None:
    request = first_request(moto_memory)
    first = client.create_event(**request)["event"]

    again = client.create_event(**{**request, "eventTimestamp": START.timestamp()})["event"]

    assert again == first


def test_a_different_client_token_creates_an_event(client: Any, moto_memory: MotoMemory) -> None:
    first = put(client, moto_memory, 0, clientToken="vote-tkt-1-r1-alice")

    second = put(client, moto_memory, 1, clientToken="vote-tkt-1-r1-bob")

    assert second["eventId"] != first["eventId"]
    assert count_events(client, moto_memory) == 2


def test_calls_without_a_client_token_each_create_an_event(client: Any, moto_memory: MotoMemory) -> None:
    put(client, moto_memory, 0)
    put(client, moto_memory, 0)  # botocore gives each call its own token

    assert count_events(client, moto_memory) == 2


def test_concurrent_calls_with_one_client_token_create_one_event(client: Any, moto_memory: MotoMemory) -> None:
    answers: list[str] = []
    start = threading.Barrier(6)

    def vote(own_client: Any) -> None:
        start.wait()
        answers.append(put(own_client, moto_memory, 0, clientToken="vote-tkt-1-r1-alice")["eventId"])

    threads = [threading.Thread(target=vote, args=(moto_memory.client(),)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 6 and len(set(answers)) == 1
    assert count_events(client, moto_memory) == 1


def test_a_refused_call_leaves_its_client_token_unused(client: Any, moto_memory: MotoMemory) -> None:
    with pytest.raises(ClientError):  # moto refuses an empty payload
        client.create_event(
            memoryId=moto_memory.memory_id,
            actorId=ACTOR,
            sessionId=SESSION,
            eventTimestamp=START,
            payload=[],
            clientToken="tok",
        )

    put(client, moto_memory, 0, clientToken="tok")

    assert count_events(client, moto_memory) == 1


def test_a_client_token_is_scoped_to_its_memory(client: Any, moto_memory: MotoMemory) -> None:
    other = MotoMemory(
        boto3.client("bedrock-agentcore-control", region_name=moto_memory.region).create_memory(
            name="other", eventExpiryDuration=90
        )["memory"]["id"]
    )

    first = put(client, moto_memory, 0, clientToken="tok")
    second = put(client, other, 0, clientToken="tok")

    assert second["eventId"] != first["eventId"]
    assert second["memoryId"] == other.memory_id


# --- living with the runtime's other hooks, and leaving no trace ---------------------


class _FaultBeforeMoto:
    """Like the runtime's fault injection: one error answered in place of moto's stubber."""

    def __init__(self, stubber: Any, operation: str) -> None:
        self.stubber, self.operation, self.armed = stubber, operation, True

    def __call__(self, event_name: str, request: Any, **kwargs: Any) -> Any:
        if self.armed and event_name.endswith(f".{self.operation}"):
            self.armed = False
            body = b'{"__type": "ThrottlingException", "message": "slow down"}'
            return AWSResponse(request.url, 429, {"x-amzn-ErrorType": "ThrottlingException"}, _Raw(body))
        return self.stubber(event_name, request, **kwargs)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


@pytest.fixture
def fault_before_moto(request: pytest.FixtureRequest) -> Any:
    from moto.core.models import botocore_stubber

    index = next(i for i, entry in enumerate(BUILTIN_HANDLERS) if entry[1] is botocore_stubber)
    fault = _FaultBeforeMoto(botocore_stubber, request.param)
    BUILTIN_HANDLERS[index] = ("before-send", fault)
    yield fault
    BUILTIN_HANDLERS[index] = ("before-send", botocore_stubber)


@pytest.mark.parametrize("fault_before_moto", ["CreateEvent"], indirect=True)
def test_a_fault_before_moto_fails_create_event_and_leaves_the_token_unused(
    fault_before_moto: Any, moto_memory: MotoMemory
) -> None:
    client = moto_memory.client(config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError, match="ThrottlingException"):
        put(client, moto_memory, 0, clientToken="tok")

    put(client, moto_memory, 0, clientToken="tok")

    assert count_events(client, moto_memory) == 1


@pytest.mark.parametrize("fault_before_moto", ["ListEvents"], indirect=True)
def test_a_fault_before_moto_fails_list_events(fault_before_moto: Any, moto_memory: MotoMemory) -> None:
    client = moto_memory.client(config=Config(retries={"total_max_attempts": 1}))
    put(client, moto_memory, 0)

    with pytest.raises(ClientError, match="ThrottlingException"):
        client.list_events(memoryId=moto_memory.memory_id, actorId=ACTOR, sessionId=SESSION)
    assert count_events(client, moto_memory) == 1


def test_install_says_whether_it_installed_so_only_its_installer_uninstalls() -> None:
    try:
        assert agentcore_memory.install() is True
        assert agentcore_memory.install() is False
        with agentcore_memory.emulated_memory():  # installed already: the block leaves it be
            pass
        assert agentcore_memory.is_installed()
    finally:
        agentcore_memory.uninstall()


def test_uninstall_restores_botocore_handlers_exactly_and_moto_answers_alone_again() -> None:
    before = list(BUILTIN_HANDLERS)
    with moto_memory() as memory:
        assert len(BUILTIN_HANDLERS) > len(before)
        agentcore_memory.install()  # a second install changes nothing
        installed = list(BUILTIN_HANDLERS)
        agentcore_memory.uninstall()
        assert len(BUILTIN_HANDLERS) == len(before) and all(
            now is then for now, then in zip(BUILTIN_HANDLERS, before, strict=True)
        )
        agentcore_memory.install()
        assert len(BUILTIN_HANDLERS) == len(installed)

    assert not agentcore_memory.is_installed()
    assert all(now is then for now, then in zip(BUILTIN_HANDLERS, before, strict=True))
    assert len(BUILTIN_HANDLERS) == len(before)
    with moto_memory() as memory:
        agentcore_memory.uninstall()
        client = boto3.session.Session().client("bedrock-agentcore", region_name=memory.region)
        for number in range(3):
            put(client, memory, number)
        listed = client.list_events(memoryId=memory.memory_id, actorId=ACTOR, sessionId=SESSION, includePayloads=True)[
            "events"
        ]
        assert numbers(listed) == [0, 1, 2]  # moto's own order: the hooks are gone


# --- the SDK that relies on it ------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Support for class-based `config` is deprecated:DeprecationWarning")
def test_the_sdk_gets_the_newest_turns(moto_memory: MotoMemory) -> None:
    from bedrock_agentcore.memory.constants import ConversationalMessage, MessageRole
    from bedrock_agentcore.memory.session import MemorySessionManager

    manager = MemorySessionManager(memory_id=moto_memory.memory_id, region_name=moto_memory.region)
    for turn in range(120):
        manager.add_turns(
            ACTOR,
            SESSION,
            [
                ConversationalMessage(f"question {turn}", MessageRole.USER),
                ConversationalMessage(f"answer {turn}", MessageRole.ASSISTANT),
            ],
            event_timestamp=START + timedelta(seconds=turn),
        )

    turns = manager.get_last_k_turns(ACTOR, SESSION, k=2)

    assert [[message["content"]["text"] for message in turn] for turn in turns] == [
        ["question 119", "answer 119"],
        ["question 118", "answer 118"],
    ]
