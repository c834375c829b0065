"""The event bus, the webhook rules and queues, and their alarms, as the template declares them."""

from __future__ import annotations

import json
from typing import Any

from local_runtime.template import functions, resources_of_type
from tests.infra.conftest import CUSTOM_CONTEXT


def _one(template: dict[str, Any], type_name: str, prefix: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, r) for k, r in resources_of_type(template, type_name).items() if k.startswith(prefix)]
    return found


def _webhook_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for k, r in resources_of_type(template, "AWS::Events::Rule").items()
        if k.startswith("LifecycleEventsWebhook")
    ]


def test_without_subscribers_there_is_a_bus_but_no_webhook_rule(template):
    _one(template, "AWS::Events::EventBus", "LifecycleEventsBus")
    assert _webhook_rules(template) == []


def test_each_subscriber_gets_a_rule_that_queues_every_supportflow_event_with_its_number(custom_template):
    bus, _ = _one(custom_template, "AWS::Events::EventBus", "LifecycleEventsBus")
    deliveries, _ = _one(custom_template, "AWS::SQS::Queue", "LifecycleEventsWebhookDeliveries")
    dead_letters, _ = _one(custom_template, "AWS::SQS::Queue", "LifecycleEventsWebhookDeadLetters")
    rules = sorted(_webhook_rules(custom_template), key=lambda r: r["Description"])
    assert len(rules) == 2
    for number, rule in enumerate(rules):
        assert rule["EventBusName"] == {"Ref": bus}
        assert rule["EventPattern"] == {"source": ["supportflow"]}
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [deliveries, "Arn"]}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dead_letters, "Arn"]}}
        template_text = target["InputTransformer"]["InputTemplate"]
        assert template_text == '{"subscriber": ' + str(number) + ', "event": <aws.events.event.json>}'


def test_deliveries_are_retried_then_dead_lettered_and_the_sender_reports_partial_batches(custom_template):
    dead_letters, _ = _one(custom_template, "AWS::SQS::Queue", "LifecycleEventsWebhookDeadLetters")
    _, deliveries = _one(custom_template, "AWS::SQS::Queue", "LifecycleEventsWebhookDeliveries")
    assert deliveries["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]},
        "maxReceiveCount": CUSTOM_CONTEXT["webhook_max_attempts"],
    }
    mappings = list(resources_of_type(custom_template, "AWS::Lambda::EventSourceMapping").values())
    assert len(mappings) == 2
    for mapping in mappings:
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    for queue in resources_of_type(custom_template, "AWS::SQS::Queue").values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_each_dead_letter_queue_and_the_unpublished_metric_alarm_the_operator(custom_template):
    (topic,) = resources_of_type(custom_template, "AWS::SNS::Topic")
    alarmed = {}
    for alarm in resources_of_type(custom_template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props["MetricName"] == "ApproximateNumberOfMessagesVisible":
            (dimension,) = props["Dimensions"]
            alarmed[dimension["Value"]["Fn::GetAtt"][0]] = props
        elif props["MetricName"] == "EventsNotPublished":
            alarmed["EventsNotPublished"] = props
    webhook_dlq, _ = _one(custom_template, "AWS::SQS::Queue", "LifecycleEventsWebhookDeadLetters")
    retry_dlq, _ = _one(custom_template, "AWS::SQS::Queue", "LifecycleEventsEventRetryDeadLetters")
    assert set(alarmed) == {webhook_dlq, retry_dlq, "EventsNotPublished"}
    for props in alarmed.values():
        assert props["Threshold"] == 1 and props["AlarmActions"] == [{"Ref": topic}]


def test_the_sender_knows_the_subscribers_and_the_steps_know_the_bus(custom_template):
    by_handler = {f.handler.split(".")[2]: f.environment for f in functions(custom_template)}
    sender = by_handler["webhook_sender"]
    assert json.loads(sender["WEBHOOK_URLS"]) == [
        "https://hooks.example.com/a",
        "https://ticketing.example.org/supportflow",
    ]
    assert sender["WEBHOOK_RETRY_BASE_SECONDS"] == "10"
    for step in ("analyze", "find_resolution", "revise_plan", "approval_timer", "request_approval", "execute"):
        assert "Ref" in by_handler[step]["EVENT_BUS_NAME"] and "Ref" in by_handler[step]["EVENT_RETRY_QUEUE_URL"]
        assert by_handler[step]["EVENTS_INCLUDE_CUSTOMER_TEXT"] == "true"
    assert "EVENT_BUS_NAME" not in by_handler["api"]
