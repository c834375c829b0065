"""The ticket workflow: a Standard state machine that waits for a human decision."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ticketing.contract import NON_RETRYABLE_ERRORS

from .functions import TicketFunctions

# Errors a retry cannot fix go straight to the Catch: the approver never answered, or
# one of the functions' own non-retryable errors (named once, in ticketing.contract).
NOT_RETRYABLE = ["States.Timeout", *NON_RETRYABLE_ERRORS]

TICKET = {"ticket": sfn.JsonPath.object_at("$.ticket"), "execution_id": sfn.JsonPath.execution_id}


def _retry(task: sfn.TaskStateBase, interval_seconds: int) -> None:
    task.add_retry(errors=NOT_RETRYABLE, max_attempts=0)
    task.add_retry(
        errors=[sfn.Errors.ALL],
        interval=Duration.seconds(interval_seconds),
        backoff_rate=2,
        max_attempts=3,
    )


def _resuming_from(step: str) -> sfn.Condition:
    return sfn.Condition.string_equals("$.resume.from", step)


class TicketStateMachine(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: TicketFunctions,
        approval_timeout: Duration,
        retry_interval_seconds: int,
        max_approval_rounds: int = 3,
        log_execution_data: bool = False,
        confirmation_timeout: Duration | None = None,
        max_reopenings: int = 0,
        person_step_timeout: Duration | None = None,
        max_steps_per_plan: int = 6,
    ) -> None:
        super().__init__(scope, construct_id)
        self._functions = functions

        def step(name: str, fn: Any, payload: dict[str, Any], result_path: str) -> tasks.LambdaInvoke:
            task = tasks.LambdaInvoke(
                self,
                name,
                lambda_function=functions.target(fn),
                payload=sfn.TaskInput.from_object({**TICKET, **payload}),
                payload_response_only=True,
                retry_on_service_exceptions=False,
                result_path=result_path,
            )
            _retry(task, retry_interval_seconds)
            return task

        failed = sfn.Fail(
            self, "Failed", error="Ticket.Failed", cause="The workflow failed; see the FAILED checkpoint."
        )
        handle_failure = step(
            "Handle failure",
            functions.close_ticket,
            # The whole state goes along: a decision made before the failure must reach the FAILED checkpoint.
            {"outcome": "FAILED", "error": sfn.JsonPath.object_at("$.error"), "snapshot": sfn.JsonPath.object_at("$")},
            sfn.JsonPath.DISCARD,
        )
        handle_failure.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.closing_error")
        handle_failure.next(failed)
        self._handle_failure = handle_failure

        def guarded(task: tasks.LambdaInvoke) -> tasks.LambdaInvoke:
            task.add_catch(handle_failure, errors=[sfn.Errors.ALL], result_path="$.error")
            return task

        analyze = guarded(step("Analyze issue", functions.analyze, {}, "$.analysis"))
        find_resolution = guarded(
            step(
                "Find resolution",
                functions.find_resolution,
                {"analysis": sfn.JsonPath.object_at("$.analysis")},
                "$.plan",
            )
        )

        await_approval = tasks.LambdaInvoke(
            self,
            "Await approval",
            lambda_function=functions.target(functions.request_approval),
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {
                    **TICKET,
                    "analysis": sfn.JsonPath.object_at("$.analysis"),
                    "plan": sfn.JsonPath.object_at("$.plan"),
                    "task_token": sfn.JsonPath.task_token,
                    "wait": sfn.JsonPath.object_at("$.approval_wait"),
                }
            ),
            retry_on_service_exceptions=False,
            # Until the policy's next reminder or escalation, or the end of the approval wait (Approval timer says).
            task_timeout=sfn.Timeout.at("$.approval_wait.seconds"),
            result_path="$.decision",
        )
        _retry(await_approval, retry_interval_seconds)
        record_expiry = guarded(
            step("Record expiry", functions.close_ticket, {"outcome": "EXPIRED"}, sfn.JsonPath.DISCARD)
        )
        # Before every wait: how long, and what is due (a reminder, an escalation, the expiry, or the
        # policy's own approval of an all-low-risk plan). A timed-out wait comes back here.
        approval_timer = guarded(
            step(
                "Approval timer",
                functions.approval_timer,
                {"analysis": sfn.JsonPath.object_at("$.analysis"), "plan": sfn.JsonPath.object_at("$.plan")},
                "$.approval_wait",
            )
        )
        await_approval.add_catch(approval_timer, errors=[sfn.Errors.TIMEOUT], result_path="$.error")
        guarded(await_approval)
        approved_by_policy = sfn.Pass(
            self, "Approved by policy", input_path="$.approval_wait.decision", result_path="$.decision"
        )

        execute = guarded(
            step(
                "Execute resolution",
                functions.execute,
                {
                    "decision": sfn.JsonPath.object_at("$.decision"),
                    **({"step_report": sfn.JsonPath.object_at("$.step_report")} if person_step_timeout else {}),
                },
                "$.execution",
            )
        )
        record_rejection = guarded(
            step(
                "Record rejection",
                functions.close_ticket,
                {"outcome": "REJECTED", "decision": sfn.JsonPath.object_at("$.decision")},
                sfn.JsonPath.DISCARD,
            )
        )

        # Request changes: a new proposal from the approver's feedback and edits, then Await approval
        # again (a new round, checkpoint, email and link). The rounds are bounded by the API and this task.
        revise_plan = guarded(
            step(
                "Revise plan",
                functions.revise_plan,
                {
                    "analysis": sfn.JsonPath.object_at("$.analysis"),
                    "plan": sfn.JsonPath.object_at("$.plan"),
                    "decision": sfn.JsonPath.object_at("$.decision"),
                },
                "$.plan",
            )
        )
        after_last_step = (
            sfn.Succeed(self, "Completed")
            if confirmation_timeout is None
            else self._confirmation(step, guarded, confirmation_timeout, retry_interval_seconds, analyze)
        )
        run_steps: sfn.IChainable = execute
        if person_step_timeout is None:
            execute.next(after_last_step)
        else:
            run_steps = self._person_steps(execute, after_last_step, person_step_timeout, retry_interval_seconds)
        approved = (
            sfn.Choice(self, "Approved?")
            .when(sfn.Condition.string_equals("$.decision.outcome", "approved"), run_steps)
            .when(sfn.Condition.string_equals("$.decision.outcome", "changes_requested"), revise_plan)
            .otherwise(record_rejection.next(sfn.Succeed(self, "Rejected")))
        )
        revise_plan.next(approval_timer)
        approval_timer.next(
            sfn.Choice(self, "Policy decides?")
            .when(sfn.Condition.boolean_equals("$.approval_wait.auto", True), approved_by_policy.next(approved))
            .when(sfn.Condition.boolean_equals("$.approval_wait.expired", True), record_expiry)
            .otherwise(await_approval)
        )
        record_expiry.next(
            sfn.Fail(
                self,
                "Expired",
                error="Ticket.ApprovalExpired",
                cause="No decision arrived before the approval timeout.",
            )
        )

        analyze.next(find_resolution).next(approval_timer)
        await_approval.next(approved)
        # A resumed execution (POST /tickets/{id}/resume) is named `<ticket id>-r<n>` and carries
        # `resume.from` and what the checkpoint holds (analysis, plan, decision): it continues at
        # the first step whose result is not recorded, so nothing is analysed or approved twice.
        # The name is tested first because a first run's input has no `resume` to compare.
        resume_from = (
            sfn.Choice(self, "Resume from?")
            .when(_resuming_from("decision"), approved)
            .when(_resuming_from("approval"), approval_timer)
            .when(_resuming_from("resolution"), find_resolution)
            .otherwise(analyze)
        )
        definition = (
            sfn.Choice(self, "Resumed?")
            .when(sfn.Condition.string_matches("$$.Execution.Name", "*-r*"), resume_from)
            .otherwise(analyze)
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            # Every round may wait the whole approval timeout, and the customer the whole confirmation timeout,
            # in each approval cycle (the first and one per reopening); two hours more cover the steps around them.
            # Each person step of a plan may wait the whole person-step timeout too.
            timeout=Duration.seconds(
                (max_reopenings + 1 if confirmation_timeout else 1)
                * (
                    max_approval_rounds * approval_timeout.to_seconds()
                    + (confirmation_timeout.to_seconds() if confirmation_timeout else 0)
                    + (max_steps_per_plan * person_step_timeout.to_seconds() if person_step_timeout else 0)
                )
                + 2 * 3600
            ),
            comment="supportflow: analyse a ticket, wait for a human decision, run the approved plan",
            tracing_enabled=True,
            # Every state transition is logged; inputs and outputs (customer text, task tokens) only on request.
            logs=sfn.LogOptions(
                destination=logs.LogGroup(self, "ExecutionLogs", retention=logs.RetentionDays.ONE_MONTH),
                level=sfn.LogLevel.ALL,
                include_execution_data=log_execution_data,
            ),
        )

    def _person_steps(
        self,
        execute: tasks.LambdaInvoke,
        after_last_step: sfn.IChainable,
        timeout: Duration,
        retry_interval_seconds: int,
    ) -> sfn.IChainable:
        """Execute runs the automated steps and stops at a customer or engineer step (`waiting_on`); Await step
        report asks the person and waits for their report (or the timeout), then Execute records it and goes on."""
        functions: TicketFunctions = self._functions
        begin = sfn.Pass(self, "Begin steps", result=sfn.Result.from_object({}), result_path="$.step_report")
        await_report = tasks.LambdaInvoke(
            self,
            "Await step report",
            lambda_function=functions.target(functions.await_step_report),
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {
                    **TICKET,
                    "action_id": sfn.JsonPath.string_at("$.execution.waiting_on"),
                    "kind": sfn.JsonPath.string_at("$.execution.waiting_kind"),
                    "task_token": sfn.JsonPath.task_token,
                }
            ),
            retry_on_service_exceptions=False,
            task_timeout=sfn.Timeout.duration(timeout),
            result_path="$.step_report",
        )
        _retry(await_report, retry_interval_seconds)
        # No report in time: Execute records the step as failed (the timeout error is its input).
        await_report.add_catch(execute, errors=[sfn.Errors.TIMEOUT], result_path="$.step_report")
        await_report.add_catch(self._handle_failure, errors=[sfn.Errors.ALL], result_path="$.error")
        await_report.next(execute)
        execute.next(
            sfn.Choice(self, "Person step?")
            .when(sfn.Condition.string_equals("$.execution.waiting_on", ""), after_last_step)
            .otherwise(await_report)
        )
        return begin.next(execute)

    def _confirmation(
        self,
        step: Any,
        guarded: Any,
        timeout: Duration,
        retry_interval_seconds: int,
        analyze: tasks.LambdaInvoke,
    ) -> sfn.IChainable:
        """After the last step: ask the customer, then close, reopen (back to Analyze issue) or escalate."""
        functions: TicketFunctions = self._functions
        await_confirmation = tasks.LambdaInvoke(
            self,
            "Await confirmation",
            lambda_function=functions.target(functions.await_confirmation),
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object({**TICKET, "task_token": sfn.JsonPath.task_token}),
            retry_on_service_exceptions=False,
            task_timeout=sfn.Timeout.duration(timeout),
            result_path="$.confirmation",
        )
        _retry(await_confirmation, retry_interval_seconds)
        record_answer = guarded(
            step(
                "Record confirmation",
                functions.record_confirmation,
                {"answer": sfn.JsonPath.object_at("$.confirmation")},
                "$.closing",
            )
        )
        record_no_answer = guarded(step("Record no answer", functions.record_confirmation, {}, "$.closing"))
        await_confirmation.add_catch(record_no_answer, errors=[sfn.Errors.TIMEOUT], result_path="$.error")
        guarded(await_confirmation)
        closed = sfn.Succeed(self, "Closed")
        record_no_answer.next(closed)
        await_confirmation.next(record_answer)
        record_answer.next(
            sfn.Choice(self, "Resolved?")
            .when(sfn.Condition.string_equals("$.closing.state", "REOPENED"), analyze)
            .when(sfn.Condition.string_equals("$.closing.state", "ESCALATED"), sfn.Succeed(self, "Escalated"))
            .otherwise(closed)
        )
        return await_confirmation
