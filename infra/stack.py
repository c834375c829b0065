"""The supportflow stack: memory, email, functions, workflow and API, wired with least privilege."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from constructs import Construct

from .components.api import STAGE, TicketApi
from .components.functions import build_functions
from .components.workflow import TicketWorkflow
from .config import StackConfig


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
        api = TicketApi(self, "Api")
        public_base_url = config.public_base_url or Fn.sub(
            "https://${RestApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + STAGE,
            {"RestApiId": api.rest_api.rest_api_id},
        )

        functions = build_functions(
            self,
            {
                "MEMORY_ID": memory.memory_id,
                "SENDER_EMAIL": config.sender_email,
                "APPROVER_EMAIL": config.approver_email,
                "OPERATOR_EMAIL": config.operator_email,
                "PUBLIC_BASE_URL": public_base_url,
                "APPROVAL_LINK_TTL_SECONDS": str(config.approval_link_ttl_seconds or config.approval_timeout_seconds),
                "APPROVAL_TIMEOUT_SECONDS": str(config.approval_timeout_seconds),
                "MODEL_ID": config.model_id,
            },
        )
        workflow = TicketWorkflow(
            self,
            "TicketWorkflow",
            functions=functions,
            approval_timeout=Duration.seconds(config.approval_timeout_seconds),
            retry_interval_seconds=config.retry_interval_seconds,
        )
        state_machine = workflow.state_machine

        for step in (
            functions.analyze,
            functions.find_resolution,
            functions.request_approval,
            functions.execute,
            functions.close_ticket,
        ):
            memory.grant_write(step)
            memory.grant_read_short_term_memory(step)
        for mailing in (functions.request_approval, functions.execute, functions.close_ticket):
            sender.grant_send_email(mailing)
        functions.request_approval.add_environment("SIGNING_SECRET_ARN", signing_secret.secret_arn)
        signing_secret.grant_read(functions.request_approval)

        functions.api.add_environment("STATE_MACHINE_ARN", state_machine.state_machine_arn)
        functions.api.add_environment("SIGNING_SECRET_ARN", signing_secret.secret_arn)
        memory.grant_read_short_term_memory(functions.api)
        signing_secret.grant_read(functions.api)
        state_machine.grant_start_execution(functions.api)
        # DescribeExecution only: the history (GetExecutionHistory) would reveal task tokens.
        state_machine.grant_execution(functions.api, "states:DescribeExecution")
        state_machine.grant_task_response(functions.api)
        api.route_to(functions.api)

        CfnOutput(self, "ApiUrl", value=public_base_url, description="Base URL of the supportflow API")
        CfnOutput(self, "StateMachineArn", value=state_machine.state_machine_arn)
        CfnOutput(self, "MemoryId", value=memory.memory_id)
