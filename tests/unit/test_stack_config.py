"""Deploy-time settings come from CDK context, with documented defaults and clear errors."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from infra.config import DEFAULTS, StackConfig


def config(**context: object) -> StackConfig:
    return StackConfig.from_context(cdk.App(context=context).node)


def test_defaults_apply_when_context_is_absent():
    found = config()
    for key, default in DEFAULTS.items():
        assert getattr(found, key) == default


def test_context_values_arrive_as_strings_from_the_command_line():
    found = config(approval_timeout_seconds="600", log_execution_data="true", model_id="none")
    assert found.approval_timeout_seconds == 600 and found.log_execution_data is True
    assert not found.runs_model


def test_a_flag_must_say_true_or_false():
    with pytest.raises(ValueError, match="log_execution_data must be true or false"):
        config(log_execution_data="yes please")


@pytest.mark.parametrize("key", ["approval_timeout_seconds", "approval_alarm_age_seconds", "api_rate_limit"])
def test_durations_and_limits_must_be_positive(key):
    with pytest.raises(ValueError, match=key):
        config(**{key: "0"})


def test_an_approval_link_lifetime_is_never_negative():
    with pytest.raises(ValueError, match="approval_link_ttl_seconds"):
        config(approval_link_ttl_seconds="-5")


@pytest.mark.parametrize("ttl", ["3600", "604800"])
def test_a_shorter_or_longer_link_lifetime_is_allowed(ttl):
    """Longer is harmless: the wait still ends at the approval timeout, and the link then says so (410)."""
    assert config(approval_link_ttl_seconds=ttl).approval_link_ttl_seconds == int(ttl)
