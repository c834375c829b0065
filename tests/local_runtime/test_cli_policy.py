"""`supportflow serve --policy PATH`: which file a path names, checked before the stack starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from local_runtime.cli import ROOT, policy_context
from ticketing.domain.policy import InvalidPolicy

EXAMPLE = ROOT / "policies" / "example.yaml"


def test_a_relative_path_is_taken_from_the_current_directory_else_from_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert policy_context("policies/example.yaml") == {"approval_policy": str(EXAMPLE)}
    (tmp_path / "policies").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "policies" / "example.yaml")
    assert policy_context("policies/example.yaml") == {"approval_policy": str(tmp_path / "policies" / "example.yaml")}


def test_no_policy_leaves_the_stacks_default_and_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    assert policy_context(None) == {}
    with pytest.raises(InvalidPolicy, match=r"approval_policy: cannot read .*/nowhere\.yaml: No such file"):
        policy_context(str(tmp_path / "nowhere.yaml"))
