"""The link from a ticket to its execution in the AWS Step Functions console."""

from __future__ import annotations

from ticketing.domain.executions import execution_arn, execution_console_url, newest_execution_console_url

MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:SupportflowTicketWorkflow"


def test_an_execution_arn_names_the_state_machine_and_the_execution():
    assert execution_arn(MACHINE, "tkt-1-r2") == (
        "arn:aws:states:eu-west-1:123456789012:execution:SupportflowTicketWorkflow:tkt-1-r2"
    )


def test_the_console_link_opens_the_execution_in_its_region():
    arn = execution_arn(MACHINE, "tkt-1")
    assert execution_console_url("eu-west-1", arn) == (
        f"https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/{arn}"
    )


def test_the_console_link_follows_the_partition_of_the_arn():
    arn = "arn:aws-cn:states:cn-north-1:123456789012:execution:m:tkt-1"
    assert execution_console_url("cn-north-1", arn).startswith("https://cn-north-1.console.amazonaws.cn/states/")


def test_without_a_state_machine_arn_there_is_no_link():
    assert newest_execution_console_url("us-east-1", "", "tkt-1") is None
