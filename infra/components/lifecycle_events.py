"""Lifecycle events and webhooks: the bus every checkpoint is published on, and what delivers it onward.

- The step functions put one event per checkpoint on a custom EventBridge bus. What
  the bus refuses goes to a retry queue, which a function publishes from later; what
  still fails lands in a dead-letter queue with an alarm.
- Each webhook subscriber has a rule on the bus whose target is the delivery queue,
  with the subscriber's number and the whole event as the message. A sender function
  signs and POSTs it. EventBridge's own API destinations cannot sign a body with an
  HMAC, so a function sends; the queue gives it spaced retries and a dead-letter
  queue (alarmed) for what keeps failing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ticketing.contract import Env
from ticketing.domain.events import SOURCE

from .functions import METRICS_NAMESPACE, SERVICE_NAME
from .monitoring import alarm_when


def _queue(scope: Construct, name: str, **kwargs: object) -> sqs.Queue:
    return sqs.Queue(
        scope,
        name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
        **kwargs,  # type: ignore[arg-type]
    )


class LifecycleEvents(Construct):
    """`invoked(fn)`: what Lambda's event source mappings invoke (the function's SnapStart alias, if it has one)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        publishers: Sequence[lambda_.Function],
        republisher: lambda_.Function,
        sender: lambda_.Function,
        invoked: Callable[[lambda_.Function], lambda_.IFunction],
        webhook_urls: Sequence[str],
        webhook_retry_base_seconds: int,
        webhook_max_attempts: int,
        include_customer_text: bool,
        alarm_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", description="supportflow ticket lifecycle events")

        self.retry_dead_letters = _queue(self, "EventRetryDeadLetters")
        self.retry_queue = _queue(
            self,
            "EventRetryQueue",
            visibility_timeout=Duration.minutes(2),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=10, queue=self.retry_dead_letters),
        )
        for publisher in publishers:
            self.bus.grant_put_events_to(publisher)
            self.retry_queue.grant(publisher, "sqs:SendMessage")  # SendMessage alone: the code calls nothing else
            publisher.add_environment(Env.EVENT_BUS_NAME, self.bus.event_bus_name)
            publisher.add_environment(Env.EVENT_RETRY_QUEUE_URL, self.retry_queue.queue_url)
            publisher.add_environment(Env.EVENTS_INCLUDE_CUSTOMER_TEXT, str(include_customer_text).lower())
        self.bus.grant_put_events_to(republisher)
        republisher.add_environment(Env.EVENT_BUS_NAME, self.bus.event_bus_name)
        invoked(republisher).add_event_source(
            sources.SqsEventSource(self.retry_queue, batch_size=10, report_batch_item_failures=True)
        )

        self.webhook_secret = secretsmanager.Secret(
            self,
            "WebhookSigningSecret",
            description="HMAC key that signs supportflow webhook deliveries (Supportflow-Signature)",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.webhook_dead_letters = _queue(self, "WebhookDeadLetters")
        # Hidden for the sender's whole timeout at least; the sender sets each retry's own delay.
        self.deliveries = _queue(
            self,
            "WebhookDeliveries",
            visibility_timeout=Duration.seconds(6 * 60),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=webhook_max_attempts, queue=self.webhook_dead_letters
            ),
        )
        sender.add_to_role_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.webhook_secret.secret_arn])
        )
        self.webhook_dead_letters.grant(sender, "sqs:SendMessage")
        sender.add_environment(Env.WEBHOOK_URLS, _json_list(webhook_urls))
        sender.add_environment(Env.WEBHOOK_SECRET_ARN, self.webhook_secret.secret_arn)
        sender.add_environment(Env.WEBHOOK_DEAD_LETTER_QUEUE_URL, self.webhook_dead_letters.queue_url)
        sender.add_environment(Env.WEBHOOK_RETRY_BASE_SECONDS, str(webhook_retry_base_seconds))
        invoked(sender).add_event_source(
            sources.SqsEventSource(self.deliveries, batch_size=5, report_batch_item_failures=True)
        )
        self.webhook_rules = [self._webhook_rule(number) for number, _ in enumerate(webhook_urls)]

        notify = actions.SnsAction(alarm_topic)
        five_minutes = Duration.minutes(5)
        alarms = (
            (
                "WebhookDeliveriesFailed",
                self.webhook_dead_letters.metric_approximate_number_of_messages_visible(period=five_minutes),
                "A webhook delivery failed for good: see the dead-letter queue and redrive it when fixed.",
            ),
            (
                "EventsRepublishFailed",
                self.retry_dead_letters.metric_approximate_number_of_messages_visible(period=five_minutes),
                "Lifecycle events could not be published, even later: see the dead-letter queue and redrive it.",
            ),
            (
                "EventsNotPublished",
                cloudwatch.Metric(
                    namespace=METRICS_NAMESPACE,
                    metric_name="EventsNotPublished",
                    dimensions_map={"service": SERVICE_NAME},
                    statistic="Sum",
                    period=five_minutes,
                ),
                "A checkpoint's event was refused by the bus and the retry queue: see the step's log for the event.",
            ),
        )
        self.alarms = {name: alarm_when(self, name, metric, 1, what, notify) for name, metric, what in alarms}

    def _webhook_rule(self, number: int) -> events.Rule:
        """Every event on the bus, as `{"subscriber": number, "event": <the whole event>}` on the delivery queue."""
        rule = events.Rule(
            self,
            f"Webhook{number}",
            description=f"Every supportflow event, to webhook subscriber {number}",
            event_bus=self.bus,
            event_pattern=events.EventPattern(source=[SOURCE]),
            # What EventBridge cannot put on the queue (after its own retries) is kept too.
            targets=[targets.SqsQueue(self.deliveries, dead_letter_queue=self.webhook_dead_letters)],
        )
        # The whole event goes in as `aws.events.event.json`, a variable EventBridge defines for input
        # templates; CDK's RuleTargetInput has no form for it.
        cfn_rule = rule.node.default_child
        assert isinstance(cfn_rule, events.CfnRule)
        cfn_rule.add_property_override(
            "Targets.0.InputTransformer",
            {"InputTemplate": '{"subscriber": ' + str(number) + ', "event": <aws.events.event.json>}'},
        )
        return rule


def _json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values))
