"""The triage cue tables are a data file with a schema: a bad entry fails at load, by name."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from pydantic import ValidationError

from ticketing.domain.models import Category, Severity
from ticketing.domain.triage import CUES_FILE, load_cues, parse_cues


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("ticketing.domain").joinpath(CUES_FILE).read_text())
    return data


def test_the_shipped_tables_cover_every_category_but_general_and_every_severity():
    cues = load_cues()
    assert set(cues.categories) == set(Category) - {Category.GENERAL}
    assert set(cues.severities) == set(Severity)
    assert cues.categories[Category.NETWORK]["wifi"] == 3
    assert "phone" in cues.not_after["extension"]


def test_the_shipped_tables_are_read_once_per_process():
    assert load_cues() is load_cues()


def test_a_weight_out_of_range_is_refused_naming_the_cue():
    data = shipped()
    data["categories"]["network"]["wifi"] = 30
    with pytest.raises(ValidationError) as refused:
        parse_cues(json.dumps(data))
    assert refused.value.errors()[0]["loc"] == ("categories", "network", "wifi")


def test_a_cue_the_text_splitter_would_never_produce_is_refused_naming_it():
    for bad in ("Wifi", "wifi.", "l'écran", "laptop, screen", "  wifi"):
        data = shipped()
        data["categories"]["network"][bad] = 2
        with pytest.raises(ValidationError, match=f"network cue {bad!r}"):
            parse_cues(json.dumps(data))


def test_a_cue_given_twice_in_one_table_is_refused_naming_it():
    text = json.dumps(shipped()).replace('"wifi": 3,', '"wifi": 3, "wifi": 1,', 1)
    with pytest.raises(ValueError, match="'wifi' given twice"):
        parse_cues(text)


def test_a_missing_table_an_unknown_label_and_a_general_table_are_refused():
    data = shipped()
    del data["severities"]["low"]
    with pytest.raises(ValidationError, match="no cue table for low"):
        parse_cues(json.dumps(data))

    data = shipped()
    data["categories"]["printers"] = {"printer": 3}
    with pytest.raises(ValidationError) as refused:
        parse_cues(json.dumps(data))
    assert refused.value.errors()[0]["loc"] == ("categories", "printers", "[key]")

    data = shipped()
    data["categories"]["general"] = {"hello": 1}
    with pytest.raises(ValidationError, match="general is what no category cue means"):
        parse_cues(json.dumps(data))


def test_a_not_after_word_that_starts_no_cue_is_refused():
    data = shipped()
    data["not_after"]["dwon"] = ["shut"]
    with pytest.raises(ValidationError, match="start no cue: dwon"):
        parse_cues(json.dumps(data))


def test_unknown_fields_are_refused():
    data = shipped()
    data["categorys"] = {}
    with pytest.raises(ValidationError) as refused:
        parse_cues(json.dumps(data))
    assert refused.value.errors()[0]["loc"] == ("categorys",)


def test_the_many_people_rule_is_data_and_a_bad_window_is_refused():
    assert {"all", "entire"} <= load_cues().many_people.quantifiers  # type: ignore[union-attr]
    data = shipped()
    data["many_people"]["window"] = 0
    with pytest.raises(ValidationError) as refused:
        parse_cues(json.dumps(data))
    assert refused.value.errors()[0]["loc"] == ("many_people", "window")
