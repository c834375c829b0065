"""What tells an operator something is wrong: alarms on the workflow, the API and waiting tickets.

Alarms notify an SNS topic that emails the operator. The approval monitor runs every
five minutes and publishes how long the oldest open ticket has waited.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .functions import METRICS_NAMESPACE, SERVICE_NAME

FIVE_MINUTES = Duration.minutes(5)


class Operations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        operator_email: str,
        state_machine: sfn.StateMachine,
        rest_api: apigw.RestApi,
        approval_monitor: lambda_.IFunction,
        approval_alarm_age_seconds: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="supportflow alarms", enforce_ssl=True)
        self.topic.add_subscription(subscriptions.EmailSubscription(operator_email))
        notify = actions.SnsAction(self.topic)

        events.Rule(
            self,
            "EveryFiveMinutes",
            description="Run the supportflow approval monitor",
            schedule=events.Schedule.rate(FIVE_MINUTES),
            targets=[targets.LambdaFunction(approval_monitor)],
        )
        oldest_wait = cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name="OldestOpenTicketAgeSeconds",
            dimensions_map={"service": SERVICE_NAME},
            statistic="Maximum",
            period=FIVE_MINUTES,
        )

        alarms = {
            "FailedTickets": (
                state_machine.metric_failed(period=FIVE_MINUTES, statistic="Sum"),
                1,
                "A ticket's workflow failed (FAILED or EXPIRED). See its checkpoints and the execution log.",
            ),
            "TimedOutExecutions": (
                state_machine.metric_timed_out(period=FIVE_MINUTES, statistic="Sum"),
                1,
                "A ticket's execution hit the state machine's overall timeout.",
            ),
            "TicketWaitingTooLong": (
                oldest_wait,
                approval_alarm_age_seconds,
                f"A ticket has waited more than {approval_alarm_age_seconds} s for an approver's decision.",
            ),
            # API Gateway's count: the function turns its own errors into 500 responses, so Lambda's
            # Errors metric would miss them.
            "ApiErrors": (
                rest_api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
                1,
                "The API answered callers with HTTP 5xx.",
            ),
        }
        self.alarms = {
            name: alarm_when(self, name, metric, threshold, description, notify)
            for name, (metric, threshold, description) in alarms.items()
        }


def alarm_when(
    scope: Construct,
    name: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    description: str,
    notify: actions.SnsAction,
) -> cloudwatch.Alarm:
    """An alarm that notifies when `metric` reaches `threshold` in one period (no data: not breaching)."""
    alarm = cloudwatch.Alarm(
        scope,
        name,
        metric=metric,
        threshold=threshold,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    alarm.add_alarm_action(notify)
    return alarm
