"""The supportflow stack: memory, email, functions, workflow, API and alarms, wired with least privilege."""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from constructs import Construct

from ticketing.contract import Env
from ticketing.domain.catalog import load_catalog

from . import nag
from .components.api import STAGE, TicketApi
from .components.executors import DeviceCommands, executor_environment, grant_identity
from .components.functions import build_functions
from .components.lifecycle_events import LifecycleEvents
from .components.monitoring import Operations
from .components.workflow import TicketStateMachine
from .config import StackConfig

# Cross-region inference profiles start with a geography; the model behind them runs in several regions.
_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "ca.", "global.")


def cross_region_model(model_id: str) -> str | None:
    """The foundation model behind a cross-region inference profile id (None for a plain model id)."""
    return model_id.split(".", 1)[1] if model_id.startswith(_PROFILE_PREFIXES) else None


def model_arns(model_id: str) -> list[str]:
    """The ARNs a function must be allowed to invoke to call `model_id` (a model or an inference profile)."""
    partition = Aws.PARTITION
    foundation_model = cross_region_model(model_id)
    if foundation_model is not None:
        return [
            f"arn:{partition}:bedrock:{Aws.REGION}:{Aws.ACCOUNT_ID}:inference-profile/{model_id}",
            f"arn:{partition}:bedrock:*::foundation-model/{foundation_model}",
        ]
    return [f"arn:{partition}:bedrock:{Aws.REGION}::foundation-model/{model_id}"]


class SupportflowStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        config = StackConfig.from_context(self.node)

        memory = agentcore.Memory(
            self,
            "TicketMemory",
            memory_name="supportflow_tickets",
            description="supportflow ticket checkpoints and conversations",
            expiration_duration=Duration.days(config.memory_expiry_days),
        )
        signing_secret = secretsmanager.Secret(
            self,
            "ApprovalLinkSigningKey",
            description="HMAC key that signs supportflow approval links",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=RemovalPolicy.DESTROY,
        )
        sender = ses.EmailIdentity(self, "SenderIdentity", identity=ses.Identity.email(config.sender_email))
        api = TicketApi(self, "Api", rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit)
        public_base_url = config.public_base_url or Fn.sub(
            "https://${RestApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + STAGE,
            {"RestApiId": api.rest_api.rest_api_id},
        )

        functions = build_functions(
            self,
            {
                Env.MEMORY_ID: memory.memory_id,
                Env.SENDER_EMAIL: config.sender_email,
                Env.APPROVER_EMAIL: config.approver_email,
                Env.OPERATOR_EMAIL: config.operator_email,
                Env.PUBLIC_BASE_URL: public_base_url,
                Env.APPROVAL_LINK_TTL_SECONDS: str(config.approval_link_ttl_seconds or config.approval_timeout_seconds),
                Env.APPROVAL_TIMEOUT_SECONDS: str(config.approval_timeout_seconds),
                Env.MAX_APPROVAL_ROUNDS: str(config.max_approval_rounds),
                Env.APPROVAL_POLICY: config.policy().model_dump_json(exclude_defaults=True),
            },
            {Env.MODEL_ID: config.model_id},
            snap_start=config.snap_start,
        )
        # Execute carries out each approved step by its action's executor (components/executors.py).
        for name, value in executor_environment(config.resolution_executor, config.executor_overrides).items():
            functions.execute.add_environment(name, value)
        DeviceCommands(self, "DeviceCommands").grant_run(functions.execute, config.device_command_wait_seconds)
        if config.identity_user_pool_id:
            grant_identity(functions.execute, config.identity_user_pool_id, config.identity_user_attribute)
        # The customer's confirmation (README "The customer's confirmation"): the question's wait is also the
        # API's to know (a late answer is 410, not 409); the recording step knows the reopening bound.
        for asking in (functions.await_confirmation, functions.record_confirmation, functions.api):
            asking.add_environment(Env.CONFIRMATION_TIMEOUT_SECONDS, str(config.confirmation_timeout_seconds))
        functions.record_confirmation.add_environment(Env.MAX_REOPENINGS, str(config.max_reopenings))
        functions.record_confirmation.add_environment(
            Env.SPECIALIST_EMAIL, config.specialist_email or config.operator_email
        )

        # Person steps (README "Person steps"): Execute stops at a customer or engineer step; Await step report
        # emails the person a signed link and the workflow waits for the report.
        functions.execute.add_environment(Env.PERSON_STEPS, "true" if config.waits_for_people else "false")
        functions.await_step_report.add_environment(
            Env.PERSON_STEP_TIMEOUT_SECONDS, str(config.person_step_timeout_seconds)
        )
        functions.await_step_report.add_environment(Env.ENGINEER_EMAIL, config.engineer_email or config.operator_email)

        workflow = TicketStateMachine(
            self,
            "TicketWorkflow",
            functions=functions,
            approval_timeout=Duration.seconds(config.approval_timeout_seconds),
            retry_interval_seconds=config.retry_interval_seconds,
            max_approval_rounds=config.max_approval_rounds,
            log_execution_data=config.log_execution_data,
            confirmation_timeout=Duration.seconds(config.confirmation_timeout_seconds)
            if config.customer_confirmation
            else None,
            max_reopenings=config.max_reopenings,
            person_step_timeout=Duration.seconds(config.person_step_timeout_seconds)
            if config.waits_for_people
            else None,
            max_steps_per_plan=load_catalog().max_steps_per_plan,
        )
        state_machine = workflow.state_machine

        # Each grant below is a call the function's code makes, on the one resource it calls it on.
        for step in functions.steps():
            memory.grant(step, "bedrock-agentcore:CreateEvent", "bedrock-agentcore:ListEvents")
        # In the SES sandbox, SES also checks ses:SendEmail on each recipient's verified identity;
        # the second statement allows that for mail from the configured sender only.
        to_recipients = iam.PolicyStatement(
            actions=["ses:SendEmail"],
            resources=[self.format_arn(service="ses", resource="identity", resource_name="*")],
            conditions={"StringEquals": {"ses:FromAddress": config.sender_email}},
        )
        for mailing in functions.mailers():
            sender.grant(mailing, "ses:SendEmail")
            mailing.add_to_role_policy(to_recipients)
        read_signing_key = iam.PolicyStatement(
            actions=["secretsmanager:GetSecretValue"], resources=[signing_secret.secret_arn]
        )
        for signer in (
            functions.request_approval,
            functions.await_confirmation,
            functions.await_step_report,
            functions.api,
        ):
            signer.add_environment(Env.SIGNING_SECRET_ARN, signing_secret.secret_arn)
            signer.add_to_role_policy(read_signing_key)
        if config.runs_model:
            invoke_model = iam.PolicyStatement(
                # The agents stream (ConverseStream), which needs this action alone.
                actions=["bedrock:InvokeModelWithResponseStream"],
                resources=model_arns(config.model_id),
            )
            for runner in functions.model_runners():
                runner.add_to_role_policy(invoke_model)

        functions.api.add_environment(Env.STATE_MACHINE_ARN, state_machine.state_machine_arn)
        # Reads checkpoints; reads and writes conversation turns.
        memory.grant(functions.api, "bedrock-agentcore:CreateEvent", "bedrock-agentcore:ListEvents")
        state_machine.grant_start_execution(functions.api)
        # DescribeExecution only: the history (GetExecutionHistory) would reveal task tokens.
        state_machine.grant_execution(functions.api, "states:DescribeExecution")
        state_machine.grant(functions.api, "states:SendTaskSuccess")
        api.route_to(functions.target(functions.api))

        functions.approval_monitor.add_environment(Env.STATE_MACHINE_ARN, state_machine.state_machine_arn)
        state_machine.grant(functions.approval_monitor, "states:ListExecutions")
        operations = Operations(
            self,
            "Operations",
            operator_email=config.operator_email,
            state_machine=state_machine,
            rest_api=api.rest_api,
            approval_monitor=functions.approval_monitor,
            approval_alarm_age_seconds=config.approval_alarm_age_seconds,
        )
        lifecycle = LifecycleEvents(
            self,
            "LifecycleEvents",
            publishers=functions.steps(),
            republisher=functions.republish_events,
            sender=functions.webhook_sender,
            invoked=functions.target,
            webhook_urls=config.webhook_urls,
            webhook_retry_base_seconds=config.webhook_retry_base_seconds,
            webhook_max_attempts=config.webhook_max_attempts,
            include_customer_text=config.events_include_customer_text,
            alarm_topic=operations.topic,
        )
        nag.acknowledge(
            self,
            lifecycle=lifecycle,
            functions=functions,
            workflow=workflow,
            api=api,
            foundation_model=cross_region_model(config.model_id) if config.runs_model else None,
        )

        CfnOutput(self, "ApiUrl", value=public_base_url, description="Base URL of the supportflow API")
        CfnOutput(self, "StateMachineArn", value=state_machine.state_machine_arn)
        CfnOutput(
            self,
            "StateMachineConsole",
            description="The ticket executions in the Step Functions console",
            value=Fn.sub(
                "https://${AWS::Region}.console.aws.amazon.com/states/home?region=${AWS::Region}"
                "#/statemachines/view/${Arn}",
                {"Arn": state_machine.state_machine_arn},
            ),
        )
        CfnOutput(self, "MemoryId", value=memory.memory_id)
        CfnOutput(
            self,
            "EventBusName",
            value=lifecycle.bus.event_bus_name,
            description="Ticket lifecycle events (source 'supportflow'); add your own rules on this bus",
        )
        CfnOutput(self, "WebhookSecretArn", value=lifecycle.webhook_secret.secret_arn)
        CfnOutput(
            self,
            "ClientPolicyArn",
            value=api.client_policy.managed_policy_arn,
            description="Attach to the role of the system that submits tickets (SigV4-signed calls)",
        )
        CfnOutput(self, "AlarmTopicArn", value=operations.topic.topic_arn)
