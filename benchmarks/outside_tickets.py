"""Tickets written by others, for `make accuracy`: where they come from, how their labels map, how they split.

The sources, their licences and the mapping rule in words are in
`tests/data/outside/README.md`; this module is that rule as code, so a test holds it.

Each record keeps its source's own labels (`source_labels`); our category and severity
are derived here at load time, and a label the source does not give stays `None`
(it is not guessed). The split into a tuning half and a held-out half depends on the
record's id only, so it never changes when records are added or the file is reordered.

The data file itself is not in the repository: `python -m benchmarks.outside_tickets
extract ...` builds it from the two public sources (see the README), and
`make accuracy` reads it from `OUTSIDE_TICKETS` or the first default path that exists.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ticketing.domain.models import Category, Severity

ROOT = Path(__file__).resolve().parents[1]
ENV_PATH = "OUTSIDE_TICKETS"
# Where the file is looked for when OUTSIDE_TICKETS is unset: a local build, then shared/ beside the clone.
DEFAULT_PATHS = (
    ROOT / "tests" / "data" / "outside" / "tickets.jsonl",
    ROOT.parent / "shared" / "outside_tickets" / "tickets.jsonl",
)

KAMERONB: Literal["kameronb"] = "kameronb"
GITBUGS_HADOOP: Literal["gitbugs-hadoop"] = "gitbugs-hadoop"
Source = Literal["kameronb", "gitbugs-hadoop"]
Split = Literal["tune", "holdout"]

# KameronB's `category` (a ServiceNow-style service category) to ours. Anything else is left unlabelled.
KAMERONB_CATEGORY: dict[str, Category] = {
    "NETWORK": Category.NETWORK,
    "HARDWARE": Category.HARDWARE,
    "PRINTER": Category.HARDWARE,
    "SOFTWARE": Category.SOFTWARE,
    "EMAIL": Category.SOFTWARE,
    "ACCOUNT": Category.ACCOUNT,
    "PIV CARD": Category.ACCOUNT,
    "SECURITY": Category.ACCOUNT,
}
# ITIL: a service request asks for something (an install, access, a how-to); nothing is broken, so it is low.
# An incident's urgency is not given by this source, so its severity stays unlabelled.
KAMERONB_REQUEST_TYPE = "Request"

# Jira priority of the Apache Hadoop bug reports in GitBugs to our severity.
GITBUGS_PRIORITY: dict[str, Severity] = {
    "Blocker": Severity.HIGH,
    "Critical": Severity.HIGH,
    "Major": Severity.MEDIUM,
    "Minor": Severity.LOW,
    "Trivial": Severity.LOW,
}

# Long bug reports carry stack traces and logs; the first part says what is wrong.
MAX_DESCRIPTION_CHARS = 1500


@dataclass(frozen=True)
class OutsideTicket:
    id: str
    source: Source
    subject: str
    description: str
    source_labels: dict[str, str]

    @property
    def category(self) -> Category | None:
        return map_category(self.source, self.source_labels)

    @property
    def severity(self) -> Severity | None:
        return map_severity(self.source, self.source_labels)

    @property
    def split(self) -> Split:
        return split_of(self.id)


def map_category(source: Source, labels: dict[str, str]) -> Category | None:
    """Our category from the source's labels, or None where the source names no topic."""
    if source == KAMERONB:
        return KAMERONB_CATEGORY.get(labels.get("category", "").strip().upper())
    # A Hadoop bug report is about one software product, but the product is not the ticket's topic:
    # its text talks of networks and disks as parts of that product, so no category is claimed.
    return None


def map_severity(source: Source, labels: dict[str, str]) -> Severity | None:
    """Our severity from the source's labels, or None where the source gives no urgency."""
    if source == KAMERONB:
        return Severity.LOW if labels.get("type", "").strip() == KAMERONB_REQUEST_TYPE else None
    return GITBUGS_PRIORITY.get(labels.get("priority", "").strip())


def _rank(key: str) -> int:
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:12], 16)


def split_of(ticket_id: str) -> Split:
    """Half the ids go to tuning, half are held out; the id alone decides, for good."""
    return "holdout" if _rank(f"split:{ticket_id}") % 2 else "tune"


def default_path() -> Path | None:
    if configured := os.environ.get(ENV_PATH):
        return Path(configured)
    return next((path for path in DEFAULT_PATHS if path.is_file()), None)


def load(path: Path) -> list[OutsideTicket]:
    tickets = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["source"] not in (KAMERONB, GITBUGS_HADOOP):
            raise ValueError(f"{path.name}:{number}: unknown source {row['source']!r}")
        tickets.append(
            OutsideTicket(
                id=row["id"],
                source=row["source"],
                subject=row["subject"],
                description=row["description"],
                source_labels=dict(row["source_labels"]),
            )
        )
    if len({t.id for t in tickets}) != len(tickets):
        raise ValueError(f"{path.name}: ticket ids repeat")
    return tickets


def of_split(tickets: Iterable[OutsideTicket], split: Split) -> list[OutsideTicket]:
    return [t for t in tickets if t.split == split]


# --- Building the file from the sources -------------------------------------------------------


def _clip(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    return text if len(text) <= MAX_DESCRIPTION_CHARS else text[: MAX_DESCRIPTION_CHARS - 3].rstrip() + "..."


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        yield from csv.DictReader(handle)


def _first_by_rank(rows: list[OutsideTicket], count: int) -> list[OutsideTicket]:
    return sorted(rows, key=lambda t: _rank(f"pick:{t.id}"))[:count]


def from_kameronb(path: Path, software: int) -> list[OutsideTicket]:
    """Every mapped ticket that is not SOFTWARE (the source is 93 % software), and `software` of those."""
    tickets = [
        OutsideTicket(
            id=f"{KAMERONB}:{row['number']}",
            source=KAMERONB,
            subject=row["short_description"].strip(),
            description=_clip(row["content"]),
            source_labels={"category": row["category"], "type": row["type"]},
        )
        for row in _read_csv(path)
        if row["category"].strip().upper() in KAMERONB_CATEGORY and row["content"].strip()
    ]
    tickets = list({t.id: t for t in reversed(tickets)}.values())  # a ticket number given twice: keep the first
    others = [t for t in tickets if t.source_labels["category"] != "SOFTWARE"]
    sw = [t for t in tickets if t.source_labels["category"] == "SOFTWARE"]
    return others + _first_by_rank(sw, software)


def from_gitbugs(path: Path, per_severity: int) -> list[OutsideTicket]:
    """`per_severity` reports for each of our severities (the source is 70 % Major)."""
    tickets = [
        OutsideTicket(
            id=f"{GITBUGS_HADOOP}:{row['Issue id']}",
            source=GITBUGS_HADOOP,
            subject=row["Summary"].strip(),
            description=_clip(row["Description"]),
            source_labels={"priority": row["Priority"]},
        )
        for row in _read_csv(path)
        if row["Priority"] in GITBUGS_PRIORITY and row["Description"].strip()
    ]
    picked: list[OutsideTicket] = []
    for severity in Severity:
        picked += _first_by_rank([t for t in tickets if t.severity is severity], per_severity)
    return picked


def dump(tickets: Iterable[OutsideTicket], path: Path) -> None:
    lines = [
        json.dumps(
            {
                "id": t.id,
                "source": t.source,
                "subject": t.subject,
                "description": t.description,
                "source_labels": t.source_labels,
            },
            ensure_ascii=False,
        )
        for t in sorted(tickets, key=lambda t: t.id)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outside_tickets")
    sub = parser.add_subparsers(dest="command", required=True)
    extract = sub.add_parser("extract", help="build the outside ticket file from the two public sources")
    extract.add_argument("--kameronb", type=Path, required=True, help="synthetic-it-call-center-tickets CSV")
    extract.add_argument("--gitbugs-hadoop", type=Path, required=True, help="GitBugs hadoop/hadoop_bugs.csv")
    extract.add_argument("--out", type=Path, default=DEFAULT_PATHS[0])
    extract.add_argument("--kameronb-software", type=int, default=120)
    extract.add_argument("--gitbugs-per-severity", type=int, default=70)
    args = parser.parse_args(argv)
    tickets = from_kameronb(args.kameronb, args.kameronb_software) + from_gitbugs(
        args.gitbugs_hadoop, args.gitbugs_per_severity
    )
    dump(tickets, args.out)
    print(f"{len(tickets)} tickets written to {args.out}")


if __name__ == "__main__":
    main()
