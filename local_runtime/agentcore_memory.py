"""AgentCore Memory's ListEvents and CreateEvent made to answer as AWS does, on top of moto.

moto 5.2.5 lists events oldest first, ignores `filter`, cuts the list at `maxResults`
with no `nextToken`, leaves payloads out unless asked, and ignores CreateEvent's
`clientToken`. AWS lists newest first (by `eventTimestamp`), pages by `maxResults`
(1-100, default 20) and `nextToken`, applies `filter.eventMetadata` (every condition
must hold) and `filter.branch`, includes payloads unless told not to, and answers a
CreateEvent whose `clientToken` the memory has seen with the first event, creating
nothing. The bedrock-agentcore SDK (`get_last_k_turns`, paging) and the memory stores
in `functions/` rely on that. A client token replayed with a different request AWS
refuses: ValidationException, reason IdempotentParameterMismatchException (CreateEvent's
documented errors in botocore's model have no ConflictException; ValidationException's
`reason` enum names this case).

`install()` adds botocore hooks to `botocore.handlers.BUILTIN_HANDLERS`, which botocore
copies into each new session: sessions (and their clients) made while it is installed
have the hooks, others do not; `uninstall()` takes exactly those entries out again.
Every call still goes through moto and every `before-send` hook (the runtime's fault
injection included): ListEvents asks moto for all of the session's events and the hook
sorts, filters and pages moto's answer; CreateEvent reaches moto only with a client
token the memory has not seen. Requests are first checked against botocore's model
(maxima, patterns, enums, unions) as the service does; botocore checks only required
members, types and minimums.

AWS keeps `eventTimestamp` in seconds and promises no order within one; here the event
created later comes first, so local runs repeat.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import pickle
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

SERVICE = "bedrock-agentcore"
DEFAULT_PAGE_SIZE = 20  # ListEvents' documented default for maxResults
MAIN_BRANCH = "main"
FILTERS = frozenset({"eventMetadata", "branch"})  # ListEvents' filter members this module applies
OPERATORS = frozenset({"EQUALS_TO", "EXISTS", "NOT_EXISTS"})  # and the metadata operators
_REQUEST = "agentcore_memory.request"  # keys in botocore's per-call context
_LISTING = "agentcore_memory.listing"
_TOKEN_CLAIM = "agentcore_memory.token_claim"
_IN_FLIGHT_WAIT_SECONDS = 30.0

Handler = Callable[..., Any]


class _InvalidRequest(Exception):
    """The service would refuse the request with ValidationException."""


class _TokenBusy(Exception):
    """Another CreateEvent with the same client token is still running."""


class _TokenReused(Exception):
    """The client token came first with a different request."""


# --- install / uninstall ---------------------------------------------------------------

_install_lock = threading.Lock()
_active: _MemoryEmulation | None = None


def install() -> bool:
    """Make AgentCore Memory clients created from now on behave as AWS.

    True when this call installed the emulation; False when it was installed already,
    and then whoever installed it uninstalls it.
    """
    global _active
    with _install_lock:
        if _active is not None:
            return False
        emulation = _MemoryEmulation()
        BUILTIN_HANDLERS.extend(emulation.handlers)
        _active = emulation
        return True


def uninstall() -> None:
    """Remove exactly the hooks `install()` added; forget the client tokens seen."""
    global _active
    with _install_lock:
        if _active is None:
            return
        ours = _active.handlers
        BUILTIN_HANDLERS[:] = [entry for entry in BUILTIN_HANDLERS if not any(entry is own for own in ours)]
        _active = None


def is_installed() -> bool:
    return _active is not None


@contextmanager
def emulated_memory() -> Iterator[None]:
    """`install()` for the block, then `uninstall()`; if it was installed already, leave it be."""
    if not install():
        yield
        return
    try:
        yield
    finally:
        uninstall()


# --- the hooks -------------------------------------------------------------------------


class _MemoryEmulation:
    def __init__(self) -> None:
        self.client_tokens = _ClientTokens()
        self.handlers: list[tuple[str, Handler]] = [
            (f"before-parameter-build.{SERVICE}.ListEvents", self._remember_request),
            (f"before-call.{SERVICE}.ListEvents", self._ask_moto_for_every_event),
            (f"after-call.{SERVICE}.ListEvents", self._answer_one_page),
            (f"before-parameter-build.{SERVICE}.CreateEvent", self._remember_request),
            (f"before-call.{SERVICE}.CreateEvent", self._replay_or_claim_token),
            (f"after-call.{SERVICE}.CreateEvent", self._settle_token),
            (f"after-call-error.{SERVICE}.CreateEvent", self._release_token),
        ]

    @staticmethod
    def _remember_request(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_REQUEST] = params  # botocore adds the generated clientToken to this same dict

    def _ask_moto_for_every_event(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        request = context.get(_REQUEST, {})
        try:
            check_against_model(request, model.input_shape)
            listing = _Listing.of(request)
        except _InvalidRequest as refused:
            return _validation_error(str(refused))
        # moto truncates at maxResults and hides payloads by default: ask it for everything.
        body = _json_body(params)
        for member in ("maxResults", "nextToken", "filter"):
            body.pop(member, None)
        body["includePayloads"] = True
        params["body"] = json.dumps(body).encode()
        context[_LISTING] = listing
        return None

    @staticmethod
    def _answer_one_page(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        listing: _Listing | None = context.get(_LISTING)
        if listing is None or http_response.status_code >= 300:
            return
        events, next_token = listing.page(parsed.get("events", []))
        parsed["events"] = events
        parsed.pop("nextToken", None)
        if next_token is not None:
            parsed["nextToken"] = next_token

    def _replay_or_claim_token(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        request = context.get(_REQUEST, {})
        try:
            check_against_model(request, model.input_shape)
        except _InvalidRequest as refused:
            return _validation_error(str(refused))
        token = _json_body(params).get("clientToken") or request.get("clientToken")
        if not token:
            return None
        key = (str(request.get("memoryId", "")), str(token))
        try:
            first = self.client_tokens.claim(key, _request_hash(request, params))
        except _TokenBusy:
            return _error("RetryableConflictException", "A request with this client token is in progress.", 409)
        except _TokenReused:
            return _error(
                "ValidationException",
                "The client token was already used with a different request.",
                400,
                reason="IdempotentParameterMismatchException",
            )
        if first is not None:
            first["ResponseMetadata"] = {"HTTPStatusCode": 201, "RequestId": str(uuid.uuid4())}
            return AWSResponse(params.get("url", "local://"), 201, {}, None), first
        context[_TOKEN_CLAIM] = key
        return None

    def _settle_token(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        key = context.pop(_TOKEN_CLAIM, None)
        if key is None:
            return
        if http_response.status_code < 300 and "event" in parsed:
            self.client_tokens.settle(key, {"event": parsed["event"]})
        else:
            self.client_tokens.release(key)

    def _release_token(self, context: dict[str, Any], **_: Any) -> None:
        key = context.pop(_TOKEN_CLAIM, None)
        if key is not None:
            self.client_tokens.release(key)


def _request_hash(request: dict[str, Any], params: dict[str, Any]) -> str:
    """What a replay must repeat: the memory and every member of the serialized body but the token.

    The serialized body, not the caller's arguments: a timestamp given as a datetime or as
    epoch seconds is the same request.
    """
    body = {member: value for member, value in _json_body(params).items() if member != "clientToken"}
    scope = [str(request.get("memoryId", "")), body]
    return hashlib.sha256(json.dumps(scope, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _json_body(params: dict[str, Any]) -> dict[str, Any]:
    raw = params.get("body") or b"{}"
    decoded = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    return decoded if isinstance(decoded, dict) else {}


def _validation_error(message: str) -> tuple[AWSResponse, dict[str, Any]]:
    return _error("ValidationException", message, 400)


def _error(code: str, message: str, status: int, **members: str) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {
        "Error": {"Code": code, "Message": message},
        "message": message,
        **members,
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())},
    }
    return AWSResponse("local://", status, {"x-amzn-ErrorType": code}, None), parsed


# --- CreateEvent idempotency -----------------------------------------------------------


class _ClientTokens:
    """First answer per (memory, client token), with a hash of the request that earned it.

    A second call with a token in flight waits for the first.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        # The answers pickled: a copy the caller cannot change, several times cheaper than deepcopy
        # (a CreateEvent answer carries the whole checkpoint), made outside the lock.
        self._answers: dict[tuple[str, str], tuple[str, bytes]] = {}
        self._in_flight: dict[tuple[str, str], str] = {}  # key -> the owner's request hash

    def claim(self, key: tuple[str, str], request_hash: str) -> dict[str, Any] | None:
        """The first call's answer, or None: then the caller owns the token until settle/release.

        Raises `_TokenBusy` when the call holding the token has not finished in time, and
        `_TokenReused` when the token's answer was earned by a different request.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: key not in self._in_flight, timeout=_IN_FLIGHT_WAIT_SECONDS):
                raise _TokenBusy
            if key in self._answers:
                first_hash, answer = self._answers[key]
                if first_hash != request_hash:
                    raise _TokenReused
                stored = answer
            else:
                self._in_flight[key] = request_hash
                return None
        copied: dict[str, Any] = pickle.loads(stored)
        return copied

    def settle(self, key: tuple[str, str], answer: dict[str, Any]) -> None:
        stored = pickle.dumps(answer)
        with self._changed:
            self._answers[key] = (self._in_flight.pop(key), stored)
            self._changed.notify_all()

    def release(self, key: tuple[str, str]) -> None:
        """The owner's call failed: the token is free for the next call."""
        with self._changed:
            self._in_flight.pop(key, None)
            self._changed.notify_all()


# --- ListEvents: order, filters, pages -------------------------------------------------


def _order_key(event: dict[str, Any], position: int) -> tuple[float, int, int]:
    """Newest is largest: event time, then creation (eventId starts with epoch millis), then moto's order."""
    return (_epoch(event.get("eventTimestamp")), _created_millis(str(event.get("eventId", ""))), position)


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return 0.0


def _created_millis(event_id: str) -> int:
    head = event_id.split("#", 1)[0]
    return int(head) if head.isdigit() else 0


def _branch_name(event: dict[str, Any]) -> str:
    branch = event.get("branch") or {}
    return str(branch.get("name") or MAIN_BRANCH)


class _Listing:
    """One ListEvents request: what matches, in which order, from where, how many."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.limit = int(request.get("maxResults") or DEFAULT_PAGE_SIZE)
        self.include_payloads = request.get("includePayloads") is not False  # AWS's default is true
        filters = request.get("filter") or {}
        operators = {condition.get("operator") for condition in filters.get("eventMetadata") or []}
        unknown = (set(filters) - FILTERS) | (operators - OPERATORS)
        if unknown:  # a newer botocore model than this emulation: fail loudly rather than filter wrongly
            raise NotImplementedError(f"The local AgentCore Memory does not implement ListEvents filter {unknown}.")
        self.conditions: list[dict[str, Any]] = list(filters.get("eventMetadata") or [])
        self.branch: dict[str, Any] | None = filters.get("branch")
        scope = [request.get("memoryId"), request.get("actorId"), request.get("sessionId"), filters]
        self.fingerprint = hashlib.sha256(json.dumps(scope, sort_keys=True, default=str).encode()).hexdigest()[:16]
        self.anchor: dict[str, Any] | None = None
        for condition in self.conditions:
            if condition.get("operator") == "EQUALS_TO" and "metadataValue" not in (condition.get("right") or {}):
                raise _InvalidRequest("An EQUALS_TO event metadata filter needs a right operand (metadataValue).")

    @classmethod
    def of(cls, request: dict[str, Any]) -> _Listing:
        listing = cls(request)
        if request.get("nextToken"):
            listing.anchor = listing._decode(str(request["nextToken"]))
        return listing

    def page(self, moto_events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
        ranked = sorted(
            ((_order_key(event, position), event) for position, event in enumerate(moto_events)),
            key=lambda pair: pair[0],
            reverse=True,
        )
        in_branch = self._branch_test(ranked)
        matching = [(key, event) for key, event in ranked if in_branch(key, event) and self._metadata_holds(event)]
        start = self._resume_at(matching)
        chosen = matching[start : start + self.limit]
        more = start + self.limit < len(matching)
        events = [self._shown(event) for _, event in chosen]
        return events, (self._encode(*chosen[-1]) if more and chosen else None)

    def _metadata_holds(self, event: dict[str, Any]) -> bool:
        metadata = event.get("metadata") or {}
        for condition in self.conditions:
            key = (condition.get("left") or {}).get("metadataKey")
            operator = condition.get("operator")
            if operator == "EXISTS" and key not in metadata:
                return False
            if operator == "NOT_EXISTS" and key in metadata:
                return False
            if operator == "EQUALS_TO":
                wanted = condition["right"]["metadataValue"].get("stringValue")
                if key not in metadata or metadata[key].get("stringValue") != wanted:
                    return False
        return True

    def _branch_test(self, ranked: list[tuple[tuple[float, int, int], dict[str, Any]]]) -> Callable[..., bool]:
        """Events on the named branch; with includeParentBranches also its ancestors up to each fork's root event."""
        if self.branch is None:
            return lambda key, event: True
        name = str(self.branch["name"])
        lineage: dict[str, tuple[float, int, int] | None] = {name: None}  # branch -> newest key included (None: all)
        if self.branch.get("includeParentBranches"):
            keys = {str(event.get("eventId")): key for key, event in ranked}
            branches = {str(event.get("eventId")): _branch_name(event) for _, event in ranked}
            roots = {
                _branch_name(event): str(event["branch"]["rootEventId"])
                for _, event in ranked
                if (event.get("branch") or {}).get("rootEventId")
            }
            current = name
            while current in roots and roots[current] in keys:
                parent = branches[roots[current]]
                if parent in lineage:
                    break
                lineage[parent] = keys[roots[current]]
                current = parent

        def test(key: tuple[float, int, int], event: dict[str, Any]) -> bool:
            branch = _branch_name(event)
            if branch not in lineage:
                return False
            cutoff = lineage[branch]
            return cutoff is None or key <= cutoff

        return test

    def _shown(self, event: dict[str, Any]) -> dict[str, Any]:
        if self.include_payloads:
            return event
        return {member: value for member, value in event.items() if member != "payload"}

    # nextToken: the last event returned, so events created between pages neither repeat nor vanish.
    def _encode(self, key: tuple[float, int, int], event: dict[str, Any]) -> str:
        anchor = {"q": self.fingerprint, "id": event.get("eventId"), "t": key[0], "c": key[1]}
        return base64.urlsafe_b64encode(json.dumps(anchor).encode()).decode()

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            anchor = json.loads(base64.urlsafe_b64decode(token.encode()))
        except (binascii.Error, ValueError, UnicodeDecodeError) as bad:
            raise _InvalidRequest("Invalid nextToken.") from bad
        if not isinstance(anchor, dict) or anchor.get("q") != self.fingerprint:
            raise _InvalidRequest("Invalid nextToken: it belongs to a different query.")
        return anchor

    def _resume_at(self, matching: list[tuple[tuple[float, int, int], dict[str, Any]]]) -> int:
        if self.anchor is None:
            return 0
        for index, (_, event) in enumerate(matching):
            if event.get("eventId") == self.anchor["id"]:
                return index + 1
        # The anchor event is gone (deleted): resume at the first event older than it was.
        anchor_key = (float(self.anchor["t"]), int(self.anchor["c"]))
        for index, (key, _) in enumerate(matching):
            if key[:2] < anchor_key:
                return index
        return len(matching)


# --- server-side checks from botocore's model ------------------------------------------


def check_against_model(params: dict[str, Any], shape: Any) -> None:
    """Refuse what the service refuses and botocore lets through: maxima, patterns, enums, unions."""
    problems: list[str] = []
    _check(params, shape, "", problems)
    if problems:
        count = len(problems)
        raise _InvalidRequest(
            f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems[:10])
        )


def _check(value: Any, shape: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    limits = shape.metadata
    where = f"Value at '{path}' failed to satisfy constraint: Member must"
    if kind == "structure":
        if not isinstance(value, dict) or shape.is_document_type:
            return
        if shape.is_tagged_union and len([v for v in value.values() if v is not None]) != 1:
            problems.append(f"{where} have exactly one member set")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(value[name], member, f"{path}.{name}" if path else name, problems)
    elif kind in ("list", "map"):
        size = len(value)
        if "max" in limits and size > limits["max"]:
            problems.append(f"{where} have length less than or equal to {limits['max']}")
        if "min" in limits and size < limits["min"]:
            problems.append(f"{where} have length greater than or equal to {limits['min']}")
        if kind == "list":
            for index, item in enumerate(value):
                _check(item, shape.member, f"{path}.{index + 1}.member", problems)
        else:
            for key, item in value.items():
                _check(key, shape.key, f"{path}.key", problems)
                _check(item, shape.value, f"{path}.{key}", problems)
    elif kind == "string" and isinstance(value, str):
        if "max" in limits and len(value) > limits["max"]:
            problems.append(f"{where} have length less than or equal to {limits['max']}")
        if "min" in limits and len(value) < limits["min"]:
            problems.append(f"{where} have length greater than or equal to {limits['min']}")
        if "pattern" in limits and re.fullmatch(limits["pattern"], value) is None:
            problems.append(f"{where} satisfy regular expression pattern: {limits['pattern']}")
        if shape.enum and value not in shape.enum:
            problems.append(f"{where} satisfy enum value set: [{', '.join(shape.enum)}]")
    elif kind in ("integer", "long") and isinstance(value, int):
        if "max" in limits and value > limits["max"]:
            problems.append(f"{where} have value less than or equal to {limits['max']}")
        if "min" in limits and value < limits["min"]:
            problems.append(f"{where} have value greater than or equal to {limits['min']}")
