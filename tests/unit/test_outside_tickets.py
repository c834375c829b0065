"""The outside ticket set: the label mapping rule, the split and the file format, as specified in
tests/data/outside/README.md. The data file is not in the repository, so these run on small made-up rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import analyzer_accuracy
from benchmarks import outside_tickets as ot
from ticketing.domain.models import Category, Severity


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("NETWORK", Category.NETWORK),
        ("HARDWARE", Category.HARDWARE),
        ("PRINTER", Category.HARDWARE),
        ("SOFTWARE", Category.SOFTWARE),
        ("EMAIL", Category.SOFTWARE),
        ("ACCOUNT", Category.ACCOUNT),
        ("PIV CARD", Category.ACCOUNT),
        ("SECURITY", Category.ACCOUNT),
        ("software", Category.SOFTWARE),
        ("FACILITIES", None),
        ("", None),
    ],
)
def test_kameronb_category_maps_to_ours(label, expected):
    assert ot.map_category(ot.KAMERONB, {"category": label, "type": "Incident"}) is expected


def test_a_service_request_is_low_and_an_incident_has_no_severity():
    assert ot.map_severity(ot.KAMERONB, {"category": "SOFTWARE", "type": "Request"}) is Severity.LOW
    assert ot.map_severity(ot.KAMERONB, {"category": "SOFTWARE", "type": "Incident"}) is None


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        ("Blocker", Severity.HIGH),
        ("Critical", Severity.HIGH),
        ("Major", Severity.MEDIUM),
        ("Minor", Severity.LOW),
        ("Trivial", Severity.LOW),
        ("Unknown", None),
    ],
)
def test_gitbugs_priority_maps_to_our_severity(priority, expected):
    assert ot.map_severity(ot.GITBUGS_HADOOP, {"priority": priority}) is expected


def test_a_bug_report_claims_no_category():
    assert ot.map_category(ot.GITBUGS_HADOOP, {"priority": "Blocker"}) is None


def test_the_split_is_decided_by_the_id_alone_and_pinned():
    # Pinned: a change to the split rule would silently move held-out tickets into tuning.
    pinned = {
        "gitbugs-hadoop:13404344": "holdout",
        "kameronb:INC0048604": "holdout",
        "kameronb:TASK0049212": "holdout",
        "gitbugs-hadoop:1": "tune",
    }
    assert {ticket_id: ot.split_of(ticket_id) for ticket_id in pinned} == pinned
    ticket = ot.OutsideTicket("gitbugs-hadoop:1", ot.GITBUGS_HADOOP, "s", "d", {"priority": "Major"})
    assert ticket.split == "tune"


def test_the_split_is_about_half_and_half():
    splits = [ot.split_of(f"t-{n}") for n in range(2000)]
    assert 900 < splits.count("holdout") < 1100


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_extract_keeps_the_source_labels_and_is_the_same_in_any_row_order(tmp_path):
    header = ["number", "type", "short_description", "content", "category"]
    rows = [
        ["INC1", "Incident", "VPN down", "The VPN drops for everyone.", "NETWORK"],
        ["INC2", "Request", "Install Visio", "Please install Visio.", "SOFTWARE"],
        ["INC3", "Incident", "Excel crash", "Excel crashes on save.", "SOFTWARE"],
        ["INC4", "Incident", "Badge", "Door badge broken.", "FACILITIES"],
        ["INC1", "Incident", "VPN down again", "Given twice.", "NETWORK"],
    ]
    bugs = _write_csv(
        tmp_path / "hadoop.csv",
        ["Summary", "Issue id", "Priority", "Description"],
        [["NameNode loses edits", "1", "Blocker", "Data loss."], ["Typo in log", "2", "Trivial", "Spelling."]],
    )
    built = []
    for order in (rows, list(reversed(rows[:4])) + [rows[4]]):
        kb = _write_csv(tmp_path / "kb.csv", header, order)
        out = tmp_path / f"out-{len(built)}.jsonl"
        ot.main(["extract", "--kameronb", str(kb), "--gitbugs-hadoop", str(bugs), "--out", str(out)])
        built.append(out.read_text(encoding="utf-8"))
    assert built[0] == built[1]
    tickets = {t.id: t for t in ot.load(tmp_path / "out-0.jsonl")}
    assert set(tickets) == {"kameronb:INC1", "kameronb:INC2", "kameronb:INC3", "gitbugs-hadoop:1", "gitbugs-hadoop:2"}
    assert tickets["kameronb:INC2"].source_labels == {"category": "SOFTWARE", "type": "Request"}
    assert (tickets["kameronb:INC2"].category, tickets["kameronb:INC2"].severity) == (Category.SOFTWARE, Severity.LOW)
    assert (tickets["gitbugs-hadoop:1"].category, tickets["gitbugs-hadoop:1"].severity) == (None, Severity.HIGH)


def test_a_file_with_a_repeated_id_is_refused(tmp_path):
    row = {"id": "x", "source": ot.KAMERONB, "subject": "", "description": "d", "source_labels": {}}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="repeat"):
        ot.load(path)


def test_a_ticket_without_a_label_is_not_counted_for_it():
    labelled = analyzer_accuracy.from_outside(
        [
            ot.OutsideTicket("a", ot.GITBUGS_HADOOP, "Cluster down", "Every job fails.", {"priority": "Blocker"}),
            ot.OutsideTicket(
                "b", ot.KAMERONB, "Install", "Please install Visio.", {"category": "SOFTWARE", "type": "Incident"}
            ),
        ]
    )
    report = analyzer_accuracy.measure(labelled)
    assert report.category.total == 1
    assert report.severity.total == 1
    assert report.both.total == 0
