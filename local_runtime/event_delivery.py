"""Lifecycle events and webhooks on one machine: the bus, the queues and the rules in moto, and the
SQS event source mappings that AWS would run, here as one polling thread per mapping.

- `create_event_resources` creates the template's EventBridge bus, SQS queues (with
  their redrive policies) and rules (with their targets and input templates) in moto.
  moto itself routes a published event through a rule to its queue, and moves a message
  received too often to its dead-letter queue.
- `EventRecorder` is an emulation that copies each event the bus accepted into the
  `EventLog` (`GET /_local/events`), in publication order.
- `QueuePoller` is an event source mapping: it receives from a queue and invokes the
  function with the SQS event shape; messages the function reports as failed (or all,
  when it fails) stay on the queue, the others are deleted. It invokes with one message
  at a time (the mapping's batch size is a maximum), so it can tell which delivery the
  sender dead-lettered itself.
- `DeliveryLedger` lists each webhook delivery with its status and attempts
  (`GET /_local/webhooks`); `WebhookInbox` is the built-in subscriber that `serve`
  delivers to when no `--webhook-url` is given: it checks the signature as a receiver
  should, and keeps what it received.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.handlers import BUILTIN_HANDLERS

from ticketing.domain.webhook_signature import HEADER, InvalidSignature, verify

from .lambda_host import Invocation
from .template import ACCOUNT, REGION, Resolver, resources_of_type


@dataclass(frozen=True)
class PublishedEvent:
    event_id: str
    source: str
    detail_type: str
    detail: dict[str, Any]
    time: str

    def view(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "source": self.source,
            "detail-type": self.detail_type,
            "time": self.time,
            "detail": self.detail,
        }


class EventLog:
    """Every event the local bus accepted, in publication order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[PublishedEvent] = []

    def record(self, event: PublishedEvent) -> None:
        with self._lock:
            self._events.append(event)

    def events(self, ticket_id: str | None = None) -> list[PublishedEvent]:
        with self._lock:
            found = list(self._events)
        return [e for e in found if ticket_id is None or e.detail.get("ticket_id") == ticket_id]


class EventRecorder:
    """An emulation: copies each entry `PutEvents` accepted (it has an EventId) into the event log."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._added: list[tuple[str, Any]] = []

    def install(self) -> bool:
        self._added = [
            ("before-parameter-build.eventbridge.PutEvents", self._stash),
            ("after-call.eventbridge.PutEvents", self._record),
        ]
        BUILTIN_HANDLERS.extend(self._added)
        return True

    def uninstall(self) -> None:
        added = self._added
        BUILTIN_HANDLERS[:] = [h for h in BUILTIN_HANDLERS if not any(h is mine for mine in added)]
        self._added = []

    @staticmethod
    def _stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["local_put_events"] = list(params.get("Entries", []))

    def _record(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        for entry, result in zip(context.get("local_put_events", []), parsed.get("Entries", []), strict=False):
            if result.get("EventId"):
                when = entry.get("Time")
                self._log.record(
                    PublishedEvent(
                        event_id=result["EventId"],
                        source=str(entry.get("Source")),
                        detail_type=str(entry.get("DetailType")),
                        detail=json.loads(entry.get("Detail") or "{}"),
                        time=when.isoformat() if isinstance(when, datetime) else str(when or ""),
                    )
                )


@dataclass
class Delivery:
    message_id: str
    event_id: str
    ticket_id: str
    sequence: int | None
    detail_type: str
    subscriber: str
    attempts: int = 0
    status: str = "pending"  # delivered | retrying | dead-lettered
    first_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None

    def view(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "ticket_id": self.ticket_id,
            "sequence": self.sequence,
            "detail-type": self.detail_type,
            "subscriber": self.subscriber,
            "status": self.status,
            "attempts": self.attempts,
            "first_attempt_at": self.first_attempt_at.isoformat() if self.first_attempt_at else None,
            "last_attempt_at": self.last_attempt_at.isoformat() if self.last_attempt_at else None,
        }


class DeliveryLedger:
    def __init__(self, subscribers: list[str]) -> None:
        self.subscribers = subscribers
        self._lock = threading.Lock()
        self._deliveries: dict[str, Delivery] = {}

    def attempted(self, record: dict[str, Any], status: str) -> None:
        message = json.loads(record["body"])
        event = message.get("event", {})
        detail = event.get("detail", {})
        number = int(message.get("subscriber", 0))
        now = datetime.now(UTC)
        with self._lock:
            delivery = self._deliveries.get(record["messageId"])
            if delivery is None:
                delivery = self._deliveries[record["messageId"]] = Delivery(
                    message_id=record["messageId"],
                    event_id=str(detail.get("event_id", event.get("id", ""))),
                    ticket_id=str(detail.get("ticket_id", "")),
                    sequence=detail.get("sequence"),
                    detail_type=str(event.get("detail-type", "")),
                    subscriber=self.subscribers[number] if number < len(self.subscribers) else f"#{number}",
                    first_attempt_at=now,
                )
            delivery.attempts = int(record["attributes"]["ApproximateReceiveCount"])
            delivery.status = status
            delivery.last_attempt_at = now

    def deliveries(self, ticket_id: str | None = None) -> list[Delivery]:
        with self._lock:
            found = list(self._deliveries.values())
        return [d for d in found if ticket_id is None or d.ticket_id == ticket_id]


@dataclass(frozen=True)
class SourceMapping:
    """An `AWS::Lambda::EventSourceMapping` from an SQS queue, resolved."""

    function: str
    queue_url: str
    queue_arn: str
    max_receive_count: int | None
    dead_letter_queue_url: str | None


@dataclass
class EventResources:
    bus_name: str = ""
    mappings: list[SourceMapping] = field(default_factory=list)


def create_event_resources(template: dict[str, Any], resolver: Resolver) -> EventResources:
    """Create the bus, the queues and the rules in moto; record their names in `resolver`; return the mappings."""
    created = EventResources()
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    for logical, bus in resources_of_type(template, "AWS::Events::EventBus").items():
        name = bus["Properties"]["Name"]
        arn = events.create_event_bus(Name=name)["EventBusArn"]
        resolver.refs[logical] = name
        resolver.attributes[(logical, "Name")] = name
        resolver.attributes[(logical, "Arn")] = arn
        created.bus_name = name
    queues = resources_of_type(template, "AWS::SQS::Queue")
    redrives: dict[str, dict[str, Any]] = {}
    # Dead-letter queues first: a queue's redrive policy names its dead-letter queue's ARN.
    for logical, queue in sorted(queues.items(), key=lambda item: "RedrivePolicy" in item[1]["Properties"]):
        properties = queue["Properties"]
        attributes = {"MessageRetentionPeriod": str(properties.get("MessageRetentionPeriod", 345600))}
        if "VisibilityTimeout" in properties:
            attributes["VisibilityTimeout"] = str(properties["VisibilityTimeout"])
        if "RedrivePolicy" in properties:
            redrive = resolver.resolve(properties["RedrivePolicy"])
            redrives[logical] = redrive
            attributes["RedrivePolicy"] = json.dumps(redrive)
        name = f"supportflow-local-{logical}"
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        resolver.refs[logical] = url
        resolver.attributes.update({(logical, "Arn"): arn, (logical, "QueueUrl"): url, (logical, "QueueName"): name})
    for logical, rule in resources_of_type(template, "AWS::Events::Rule").items():
        properties = resolver.resolve(rule["Properties"])
        if "EventPattern" not in properties:
            continue  # a schedule (the approval monitor): not run locally
        bus_name = properties.get("EventBusName", "default")
        name = f"supportflow-local-{logical}"
        events.put_rule(Name=name, EventBusName=bus_name, EventPattern=json.dumps(properties["EventPattern"]))
        targets = [
            {k: v for k, v in target.items() if k in ("Id", "Arn", "InputTransformer", "Input", "DeadLetterConfig")}
            for target in properties["Targets"]
        ]
        events.put_targets(Rule=name, EventBusName=bus_name, Targets=targets)
    arn_to_logical = {resolver.attributes[(q, "Arn")]: q for q in queues}
    for source in resources_of_type(template, "AWS::Lambda::EventSourceMapping").values():
        properties = source["Properties"]
        queue_arn = str(resolver.resolve(properties["EventSourceArn"]))
        queue_logical = arn_to_logical[queue_arn]
        redrive = redrives.get(queue_logical)
        dead_letter_url = None
        if redrive is not None:
            dead_letter_url = resolver.refs[arn_to_logical[redrive["deadLetterTargetArn"]]]
        created.mappings.append(
            SourceMapping(
                function=_mapped_function(template, properties["FunctionName"]),
                queue_url=resolver.refs[queue_logical],
                queue_arn=queue_arn,
                max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
                dead_letter_queue_url=dead_letter_url,
            )
        )
    return created


def _mapped_function(template: dict[str, Any], name: Any) -> str:
    """The logical id of the function an event source mapping invokes: named by `Ref`, or through its alias."""
    referenced = _first_ref(name)
    resource = template["Resources"].get(referenced, {})
    if resource.get("Type") == "AWS::Lambda::Alias":
        referenced = _first_ref(resource["Properties"]["FunctionName"])
    if template["Resources"].get(referenced, {}).get("Type") != "AWS::Lambda::Function":
        raise ValueError(f"an event source mapping invokes {name!r}, which is no function of the stack")
    return referenced


def _first_ref(value: Any) -> str:
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return str(value["Ref"])
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _first_ref(item)
            if found:
                return found
    return ""


FunctionInvoker = Callable[[str, dict[str, Any]], Invocation]
AttemptObserver = Callable[[dict[str, Any], str], None]


class QueuePoller:
    """An SQS event source mapping: receive, invoke the function, delete what it handled."""

    def __init__(self, mapping: SourceMapping, invoke: FunctionInvoker, observe: AttemptObserver | None = None) -> None:
        self._mapping = mapping
        self._invoke = invoke
        self._observe = observe
        self._sqs = boto3.client("sqs", region_name=REGION)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"esm-{mapping.function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        # Idle, the mapping polls less and less often (every 50 ms up to every 200 ms): each poll is a
        # moto call that competes with the handlers for the interpreter. A message resets the pace.
        idle = 0.05
        while not self._stop.is_set():
            try:
                handled = self.poll_once()
            except Exception as error:  # noqa: BLE001 - a mapping keeps polling, as Lambda's does
                if self._stop.is_set():
                    return
                print(f"event source mapping for {self._mapping.function}: {error}")
                handled = 0
            if handled:
                idle = 0.05
            else:
                self._stop.wait(idle)
                idle = min(idle * 2, 0.2)

    def poll_once(self) -> int:
        """Receive one message and invoke the function with it; the number of messages received."""
        answer = self._sqs.receive_message(
            QueueUrl=self._mapping.queue_url,
            MaxNumberOfMessages=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        for message in messages:
            record = self._record(message)
            # Only an observed mapping (the webhook sender's) needs to tell a delivery from a dead-lettering.
            dead_letters_before = self._dead_letters() if self._observe is not None else 0
            result = self._invoke(self._mapping.function, {"Records": [record]})
            failed_ids = (
                {record["messageId"]}
                if result.failed
                else {f["itemIdentifier"] for f in (result.payload or {}).get("batchItemFailures", [])}
            )
            if record["messageId"] not in failed_ids:
                self._sqs.delete_message(QueueUrl=self._mapping.queue_url, ReceiptHandle=message["ReceiptHandle"])
            if self._observe is not None:
                self._observe(record, self._status(record, failed_ids, dead_letters_before))
        return len(messages)

    def _status(self, record: dict[str, Any], failed_ids: set[str], dead_letters_before: int) -> str:
        attempts = int(record["attributes"]["ApproximateReceiveCount"])
        if record["messageId"] in failed_ids:
            last = self._mapping.max_receive_count is not None and attempts >= self._mapping.max_receive_count
            return "dead-lettered" if last else "retrying"
        return "dead-lettered" if self._dead_letters() > dead_letters_before else "delivered"

    def _dead_letters(self) -> int:
        if self._mapping.dead_letter_queue_url is None:
            return 0
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self._mapping.dead_letter_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._mapping.queue_arn,
            "awsRegion": REGION,
        }


@dataclass(frozen=True)
class ReceivedWebhook:
    received_at: datetime
    signature_valid: bool
    problem: str
    event: dict[str, Any]


class WebhookInbox:
    """The built-in subscriber: verifies each delivery's signature as a receiver should, and keeps it."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._lock = threading.Lock()
        self._received: list[ReceivedWebhook] = []

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        """The HTTP status a receiver answers: 200 (also for a duplicate), or 400 for a bad signature."""
        signature = next((v for k, v in headers.items() if k.lower() == HEADER.lower()), None)
        try:
            verify(signature, body, self._secret, now=int(time.time()))
            problem, valid = "", True
        except InvalidSignature as refused:
            problem, valid = str(refused), False
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        with self._lock:
            self._received.append(ReceivedWebhook(datetime.now(UTC), valid, problem, event))
        return 200 if valid else 400

    def received(self) -> list[ReceivedWebhook]:
        with self._lock:
            return list(self._received)
