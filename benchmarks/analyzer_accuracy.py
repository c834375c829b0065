"""`make accuracy`: how often the rules analyzer agrees with a hand-labelled ticket set.

Two sets, written by hand for the tests, with every category and severity and
hard cases (negation, several topics in one ticket, cue words inside other words,
non-English, short or empty text):

- `labelled_tickets.jsonl` (180): the rules were improved while looking at its
  misses, so its figure flatters them;
- `labelled_tickets_holdout.jsonl` (40): written after those changes and never
  tuned against: the honest estimate for tickets the rules have not seen.

Accuracy per category and per severity is the share of the tickets with that label
that the rules get right (recall); hard cases are reported by kind.

A third set is written by others (`benchmarks/outside_tickets.py`, sources and mapping
rule in `tests/data/outside/README.md`): its tuning half may be looked at while
changing the rules, its held-out half only for the figure. Where a source gives no
category or no severity for a ticket, that ticket counts only for the label it has.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ticketing.domain.models import Category, Severity, Ticket
from ticketing.domain.triage import analyze_ticket

from . import outside_tickets

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
LABELLED = DATA / "labelled_tickets.jsonl"
HOLDOUT = DATA / "labelled_tickets_holdout.jsonl"


@dataclass(frozen=True)
class LabelledTicket:
    id: str
    subject: str
    description: str
    category: Category | None
    severity: Severity | None
    hard: tuple[str, ...] = ()


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, correct: bool) -> None:
        self.right += int(correct)
        self.total += 1

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


@dataclass
class AccuracyReport:
    category: Tally = field(default_factory=Tally)
    severity: Tally = field(default_factory=Tally)
    both: Tally = field(default_factory=Tally)
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_severity: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_hard_case: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[str] = field(default_factory=list)


def load(path: Path = LABELLED) -> list[LabelledTicket]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        LabelledTicket(
            id=r["id"],
            subject=r["subject"],
            description=r["description"],
            category=Category(r["category"]),
            severity=Severity(r["severity"]),
            hard=tuple(r["hard"]),
        )
        for r in rows
    ]


def measure(tickets: list[LabelledTicket]) -> AccuracyReport:
    report = AccuracyReport()
    for labelled in tickets:
        ticket = Ticket(
            ticket_id="tkt-20261125-000000000000",
            customer_id="labelled",
            customer_email="labelled@example.com",
            subject=labelled.subject,
            description=labelled.description,
            submitted_at=datetime(2026, 11, 25, tzinfo=UTC),
        )
        analysis = analyze_ticket(ticket)
        # A label the ticket does not have is neither right nor wrong: it is not counted.
        category_ok = labelled.category is None or analysis.category is labelled.category
        severity_ok = labelled.severity is None or analysis.severity is labelled.severity
        if labelled.category is not None:
            report.category.add(category_ok)
            report.by_category[labelled.category.value].add(category_ok)
            for kind in labelled.hard:
                report.by_hard_case[kind].add(category_ok)
        if labelled.severity is not None:
            report.severity.add(severity_ok)
            report.by_severity[labelled.severity.value].add(severity_ok)
        if labelled.category is not None and labelled.severity is not None:
            report.both.add(category_ok and severity_ok)
        if not (category_ok and severity_ok):
            expected = f"{_value(labelled.category)}/{_value(labelled.severity)}"
            report.misses.append(
                f"{labelled.id}: labelled {expected}, "
                f"rules {analysis.category.value}/{analysis.severity.value}: {labelled.description[:70]!r}"
            )
    return report


def _value(label: Category | Severity | None) -> str:
    return label.value if label is not None else "-"


def from_outside(tickets: list[outside_tickets.OutsideTicket]) -> list[LabelledTicket]:
    return [
        LabelledTicket(
            id=t.id,
            subject=t.subject,
            description=t.description,
            category=t.category,
            severity=t.severity,
        )
        for t in tickets
    ]


def table(report: AccuracyReport) -> str:
    lines = [f"{'label':<28}{'right':>7}{'total':>7}{'accuracy':>10}"]

    def row(name: str, tally: Tally) -> None:
        if not tally.total:
            return
        lines.append(f"{name:<28}{tally.right:>7}{tally.total:>7}{tally.accuracy:>10.1%}")

    for category in Category:
        row(f"category {category.value}", report.by_category[category.value])
    row("category, all tickets", report.category)
    for severity in Severity:
        row(f"severity {severity.value}", report.by_severity[severity.value])
    row("severity, all tickets", report.severity)
    row("both right", report.both)
    for kind in sorted(report.by_hard_case):
        row(f"hard: {kind} (category)", report.by_hard_case[kind])
    return "\n".join(lines)


def main() -> None:
    import sys

    verbose = "-v" in sys.argv[1:]
    for path in (LABELLED, HOLDOUT):
        report = measure(load(path))
        print(f"Rules analyzer against {report.category.total} labelled tickets ({path.name})\n")
        print(table(report))
        if verbose:
            print("\nMisses:\n" + "\n".join(report.misses))
        print()

    outside_path = outside_tickets.default_path()
    if outside_path is None or not outside_path.is_file():
        print(
            "Outside tickets: no file (set OUTSIDE_TICKETS or build it, see tests/data/outside/README.md), "
            "so their splits are not measured."
        )
        return
    outside = outside_tickets.load(outside_path)
    for split in ("tune", "holdout"):
        chosen = outside_tickets.of_split(outside, split)
        report = measure(from_outside(chosen))
        print(
            f"Rules analyzer against {len(chosen)} tickets written by others, {split} split ({outside_path.name}; "
            f"{report.category.total} with a category, {report.severity.total} with a severity)\n"
        )
        print(table(report))
        # The held-out split's misses stay unread: reading them is tuning against it.
        if verbose and split == "tune":
            print("\nMisses:\n" + "\n".join(report.misses))
        print()


if __name__ == "__main__":
    main()
