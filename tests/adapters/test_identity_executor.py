"""Identity actions on moto's Cognito: the user found by the configured attribute, each operation, once per ticket.

botocore validates every request against the cognito-idp service model before moto sees it,
so a wrong parameter name or shape fails these tests as it would fail on AWS.
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
from ticketing.adapters.identity_executor import CognitoIdentityExecutor
from ticketing.domain.errors import ExecutorUnavailable
from ticketing.domain.execution import ActionExecutor
from ticketing.domain.models import ResolutionStep

REGION = "us-east-1"
TICKET = make_ticket(customer_id="cust-1")


def step(action_id: str = "account.reset-password") -> ResolutionStep:
    return ResolutionStep(action_id=action_id, title="t", instructions="i")


def how(operation: str) -> ActionExecutor:
    return ActionExecutor.model_validate({"kind": "identity", "operation": operation})


class Pool:
    def __init__(self, cognito: Any) -> None:
        self.cognito = cognito
        self.id = cognito.create_user_pool(PoolName="customers")["UserPool"]["Id"]

    def add(self, username: str, customer_id: str, *, confirmed: bool = True) -> None:
        attributes = [
            {"Name": "preferred_username", "Value": customer_id},
            # Cognito sends the reset code to a verified address; without one it refuses the reset.
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ]
        self.cognito.admin_create_user(UserPoolId=self.id, Username=username, UserAttributes=attributes)
        if confirmed:  # moto refuses a reset for a user still in FORCE_CHANGE_PASSWORD, as AWS does
            self.cognito.admin_set_user_password(
                UserPoolId=self.id, Username=username, Password="Str0ng!Passw0rd", Permanent=True
            )

    def status(self, username: str) -> str:
        return str(self.cognito.admin_get_user(UserPoolId=self.id, Username=username)["UserStatus"])


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield Pool(boto3.client("cognito-idp", region_name=REGION))


@pytest.fixture
def journal() -> FakeActionJournal:
    return FakeActionJournal()


def executor(pool: Pool, journal: FakeActionJournal, cognito: Any = None) -> CognitoIdentityExecutor:
    return CognitoIdentityExecutor(cognito or pool.cognito, pool.id, "preferred_username", journal)


def test_a_password_reset_finds_the_user_by_the_attribute_and_resets_them(pool: Pool, journal: FakeActionJournal):
    pool.add("jo", "cust-1")
    pool.add("someone-else", "cust-2")
    result = executor(pool, journal).run(TICKET, step(), how("reset-password"))
    assert (result.status, result.executor) == ("succeeded", "identity")
    assert pool.status("jo") == "RESET_REQUIRED" and pool.status("someone-else") == "CONFIRMED"
    assert [e.kind for e in journal.stored] == ["identity-requested", "identity-done"]


def test_a_retried_reset_sends_nothing_twice(pool: Pool, journal: FakeActionJournal):
    pool.add("jo", "cust-1")
    executor(pool, journal).run(TICKET, step(), how("reset-password"))
    with Stubber(pool.cognito) as stub:  # only the lookup may be called again: no reset
        stub.add_response("list_users", {"Users": [{"Username": "jo"}]})
        again = executor(pool, journal).run(TICKET, step(), how("reset-password"))
        stub.assert_no_pending_responses()
    assert again.status == "succeeded" and "not repeated" in again.detail


def test_a_reset_requested_whose_outcome_was_not_recorded_is_not_sent_again_if_the_user_waits_for_one(
    pool: Pool, journal: FakeActionJournal
):
    pool.add("jo", "cust-1")
    executor(pool, journal).run(TICKET, step(), how("reset-password"))
    journal.stored = [e for e in journal.stored if e.kind == "identity-requested"]  # the "done" write was lost
    again = executor(pool, journal).run(TICKET, step(), how("reset-password"))
    assert again.status == "succeeded" and "not sent twice" in again.detail


def test_sign_out_everywhere_enable_and_the_mfa_report_run_on_the_customers_user(
    pool: Pool, journal: FakeActionJournal
):
    pool.add("jo", "cust-1")
    pool.cognito.admin_disable_user(UserPoolId=pool.id, Username="jo")
    run = executor(pool, journal).run
    signed_out = run(TICKET, step("account.sign-out-everywhere"), how("sign-out-everywhere"))
    enabled = run(TICKET, step("account.unlock-account"), how("enable-user"))
    report = run(TICKET, step("account.review-mfa"), how("mfa-report"))
    assert [r.status for r in (signed_out, enabled, report)] == ["succeeded"] * 3
    assert pool.cognito.admin_get_user(UserPoolId=pool.id, Username="jo")["Enabled"] is True
    assert report.detail.startswith("User jo (CONFIRMED): MFA methods enabled: none; preferred: none")


def test_an_unknown_customer_is_a_failed_step_and_nothing_is_changed(pool: Pool, journal: FakeActionJournal):
    pool.add("jo", "cust-1")
    result = executor(pool, journal).run(make_ticket(customer_id="cust-9"), step(), how("reset-password"))
    assert result.status == "failed" and "No Cognito user has preferred_username = cust-9" in result.detail
    assert pool.status("jo") == "CONFIRMED" and journal.stored == []


def test_two_users_with_the_customers_id_is_a_failed_step(pool: Pool, journal: FakeActionJournal):
    pool.add("jo", "cust-1")
    pool.add("jo2", "cust-1")
    result = executor(pool, journal).run(TICKET, step(), how("reset-password"))
    assert result.status == "failed" and "More than one" in result.detail


def test_cognito_refusing_the_reset_is_a_failed_step_with_its_reason(pool: Pool, journal: FakeActionJournal):
    pool.add("jo", "cust-1", confirmed=False)
    result = executor(pool, journal).run(TICKET, step(), how("reset-password"))
    assert result.status == "failed" and "NotAuthorizedException" in result.detail


def test_throttling_is_retryable_not_a_failed_step(pool: Pool, journal: FakeActionJournal):
    with Stubber(pool.cognito) as stub:
        stub.add_client_error("list_users", "TooManyRequestsException", http_status_code=400)
        with pytest.raises(ExecutorUnavailable):
            executor(pool, journal).run(TICKET, step(), how("reset-password"))


def test_the_user_lookup_filters_on_the_attribute_with_the_customer_id(pool: Pool, journal: FakeActionJournal):
    with Stubber(pool.cognito) as stub:  # the request shape is checked against the service model
        stub.add_response(
            "list_users",
            {"Users": []},
            {"UserPoolId": pool.id, "Filter": 'preferred_username = "cust-1"', "Limit": 2},
        )
        executor(pool, journal).run(TICKET, step(), how("reset-password"))
        stub.assert_no_pending_responses()
