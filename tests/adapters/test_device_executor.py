"""Device actions through Run Command on moto: targeting by tag, the command id recorded before waiting,
no instance found, a retry sending nothing twice, the bounded wait.

moto has no `DescribeInstanceInformation`; a botocore Stubber answers it (and checks the request
against the ssm service model), listing moto's EC2 instances that carry the customer tag, as AWS
lists the managed instances that carry it. SendCommand and GetCommandInvocation run in moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.conftest import make_ticket
from tests.fakes import FakeActionJournal
from ticketing.adapters.device_executor import RunCommandDeviceExecutor
from ticketing.domain.errors import ExecutorUnavailable
from ticketing.domain.execution import CUSTOMER_TAG, ActionExecutor
from ticketing.domain.models import ResolutionStep

REGION = "us-east-1"
TICKET = make_ticket(customer_id="cust-1")
STEP = ResolutionStep(action_id="network.check-connection-status", title="t", instructions="i")
HOW = ActionExecutor.model_validate({"kind": "device", "command": "check-connection"})
DOCUMENTS = {"check-connection": "supportflow-CheckConnection"}


class Ssm:
    """moto's ssm client, with DescribeInstanceInformation answered by a Stubber from moto's tagged EC2
    instances; counts SendCommand calls and what the journal held at the first wait."""

    def __init__(self, journal: FakeActionJournal) -> None:
        self.moto = boto3.client("ssm", region_name=REGION)
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.listing = boto3.client("ssm", region_name=REGION)
        self.journal = journal
        self.sent: list[dict[str, Any]] = []
        self.journal_at_first_wait: list[Any] | None = None

    def instance(self, customer_id: str) -> str:
        tags = [{"ResourceType": "instance", "Tags": [{"Key": CUSTOMER_TAG, "Value": customer_id}]}]
        reservation = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=tags)
        return str(reservation["Instances"][0]["InstanceId"])

    def describe_instance_information(self, **request: Any) -> Any:
        (tag_filter,) = request["Filters"]
        key = tag_filter["Key"].removeprefix("tag:")
        found = self.ec2.describe_instances(Filters=[{"Name": f"tag:{key}", "Values": tag_filter["Values"]}])
        ids = [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]]
        with Stubber(self.listing) as stub:
            stub.add_response(
                "describe_instance_information",
                {"InstanceInformationList": [{"InstanceId": i, "PingStatus": "Online"} for i in ids]},
                request,
            )
            return self.listing.describe_instance_information(**request)

    def send_command(self, **request: Any) -> Any:
        self.sent.append(request)
        return self.moto.send_command(**request)

    def get_command_invocation(self, **request: Any) -> Any:
        if self.journal_at_first_wait is None:
            self.journal_at_first_wait = list(self.journal.stored)
        return self.moto.get_command_invocation(**request)


@pytest.fixture
def journal() -> FakeActionJournal:
    return FakeActionJournal()


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch, journal: FakeActionJournal) -> Iterator[Ssm]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield Ssm(journal)


def executor(client: Any, journal: FakeActionJournal, **options: Any) -> RunCommandDeviceExecutor:
    return RunCommandDeviceExecutor(client, DOCUMENTS, journal, wait_seconds=30, poll_seconds=5, **options)


def test_the_command_runs_on_the_customers_tagged_instances_only(ssm: Ssm, journal: FakeActionJournal):
    mine = sorted([ssm.instance("cust-1"), ssm.instance("cust-1")])
    ssm.instance("cust-2")
    result = executor(ssm, journal).run(TICKET, STEP, HOW)
    assert (result.status, result.executor) == ("succeeded", "device")
    (sent,) = ssm.sent
    assert sent["InstanceIds"] == mine and sent["DocumentName"] == "supportflow-CheckConnection"
    assert [(o.instance_id, o.status) for o in result.instances] == [(i, "Success") for i in mine]


def test_the_command_id_is_recorded_before_the_first_wait(ssm: Ssm, journal: FakeActionJournal):
    ssm.instance("cust-1")
    result = executor(ssm, journal).run(TICKET, STEP, HOW)
    (entry,) = ssm.journal_at_first_wait or []
    assert entry.kind == "command-sent" and entry.command_id in result.detail


def test_a_retry_waits_on_the_recorded_command_and_sends_nothing_twice(ssm: Ssm, journal: FakeActionJournal):
    ssm.instance("cust-1")
    first = executor(ssm, journal).run(TICKET, STEP, HOW)
    again = executor(ssm, journal).run(TICKET, STEP, HOW)
    assert len(ssm.sent) == 1 and again.status == first.status == "succeeded"
    assert again.detail == first.detail  # the same command id


def test_no_managed_instance_is_a_clear_failed_step_and_nothing_is_sent(ssm: Ssm, journal: FakeActionJournal):
    ssm.instance("cust-2")
    result = executor(ssm, journal).run(TICKET, STEP, HOW)
    assert result.status == "failed"
    assert result.detail == f"No managed instance is tagged {CUSTOMER_TAG}=cust-1; nothing was sent."
    assert ssm.sent == [] and journal.stored == []


def test_an_action_without_a_deployed_document_fails_without_sending(ssm: Ssm, journal: FakeActionJournal):
    ssm.instance("cust-1")
    other = ActionExecutor.model_validate({"kind": "device", "command": "collect-logs"})
    result = executor(ssm, journal).run(TICKET, STEP, other)
    assert result.status == "failed" and ssm.sent == []


class StillRunning(Ssm):
    """The command stays InProgress on AWS (moto reports Success at once)."""

    def get_command_invocation(self, **request: Any) -> Any:
        super().get_command_invocation(**request)
        return {"CommandId": request["CommandId"], "InstanceId": request["InstanceId"], "Status": "InProgress"}


def test_the_wait_is_bounded_and_a_retry_waits_again_without_sending(journal: FakeActionJournal, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        ssm = StillRunning(journal)
        ssm.instance("cust-1")
        now = [0.0]
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            now[0] += seconds

        bounded = executor(ssm, journal, sleep=sleep, clock=lambda: now[0])
        with pytest.raises(ExecutorUnavailable, match="still runs"):
            bounded.run(TICKET, STEP, HOW)
        assert slept == [5, 5, 5, 5, 5, 5]  # 30 s in 5 s polls, then it gives up
        with pytest.raises(ExecutorUnavailable):
            bounded.run(TICKET, STEP, HOW)
        assert len(ssm.sent) == 1


def test_a_failed_invocation_fails_the_step_with_its_status_and_truncated_output(journal, monkeypatch):
    class Failing(Ssm):
        def get_command_invocation(self, **request: Any) -> Any:
            return {
                "CommandId": request["CommandId"],
                "InstanceId": request["InstanceId"],
                "Status": "Failed",
                "StandardOutputContent": "x" * 5000,
                "StandardErrorContent": "link down",
            }

    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        ssm = Failing(journal)
        ssm.instance("cust-1")
        result = executor(ssm, journal).run(TICKET, STEP, HOW)
    (outcome,) = result.instances
    assert result.status == "failed" and outcome.status == "Failed"
    assert len(outcome.output) == 1000 and outcome.output.endswith("link down")


def test_throttling_is_retryable_not_a_failed_step(ssm: Ssm, journal: FakeActionJournal):
    ssm.instance("cust-1")
    with Stubber(ssm.moto) as stub:
        stub.add_client_error("send_command", "ThrottlingException", http_status_code=400)
        with pytest.raises(ExecutorUnavailable):
            executor(ssm, journal).run(TICKET, STEP, HOW)
    assert journal.stored == []
