"""The public HTTP API: ticket submission and status, approval pages."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

STAGE = "prod"


class TicketApi(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name="supportflow",
            description="supportflow: submit tickets, read their status, approve resolutions",
            deploy_options=apigw.StageOptions(stage_name=STAGE),
        )

    def route_to(self, function: lambda_.IFunction) -> None:
        """Send every route to the API function (one Lambda proxy integration)."""
        integration = apigw.LambdaIntegration(function)
        tickets = self.rest_api.root.add_resource("tickets")
        tickets.add_method("POST", integration)
        tickets.add_resource("{ticket_id}").add_method("GET", integration)
        approval = self.rest_api.root.add_resource("approvals").add_resource("{ticket_id}")
        approval.add_method("GET", integration)
        approval.add_method("POST", integration)
