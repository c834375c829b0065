"""Where a ticket's execution lives in AWS: its ARN, and its page in the Step Functions console."""

from __future__ import annotations

# The console's host per partition (the ARN's second field).
_CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


def execution_arn(state_machine_arn: str, execution_name: str) -> str:
    """The ARN of the state machine's execution named `execution_name` (a ticket id, or `<id>-rN`)."""
    prefix, name = state_machine_arn.split(":stateMachine:")
    return f"{prefix}:execution:{name}:{execution_name}"


def execution_console_url(region: str, arn: str) -> str:
    """The execution's page (graph view, event history) in the AWS Step Functions console."""
    partition = arn.split(":")[1] if arn.count(":") > 1 else "aws"
    host = _CONSOLE_HOSTS.get(partition, _CONSOLE_HOSTS["aws"])
    # No escaping needed: an ARN here is letters, digits, ':', '-' and '_' (ticket ids are `tkt-<date>-<hex>`).
    return f"https://{region}.{host}/states/home?region={region}#/v2/executions/details/{arn}"


def newest_execution_console_url(region: str, state_machine_arn: str, execution_name: str) -> str | None:
    """The console page of the named execution; None without a state machine ARN to derive it from."""
    if ":stateMachine:" not in state_machine_arn:
        return None
    return execution_console_url(region, execution_arn(state_machine_arn, execution_name))
