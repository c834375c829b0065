"""Rules-based triage: category and severity from whole-word cues, with reasons.

Improves on a keyword substring match ("download" is not "down", "I can't log in
to the app" is an account problem): text is split into words, every category is
scored, phrases count as phrases, a cue right after "not" does not count, and the
result says which cues decided it. The cue tables are data, in `triage_cues.json`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from .models import Analysis, Category, Model, Severity, Ticket

# Letters of any script, so "écran" and "contraseña" stay whole words.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?(?:-[^\W_]+)*")
_CLAUSE_BREAK = re.compile(r"[.!?¡¿;,:()\n]+|\bbut\b")
_ELISION = re.compile(r"^(?:l|d|j|n|m|s|t|c|qu)'(?=[^\W_])")
CUES_FILE = "triage_cues.json"

# On equal scores the more serious reading wins; with no cue at all, medium.
_SEVERITY_PRIORITY = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)
_CATEGORY_PRIORITY = (Category.ACCOUNT, Category.NETWORK, Category.HARDWARE, Category.SOFTWARE)

Weight = Annotated[int, Field(ge=1, le=3)]
Words = frozenset[Annotated[str, StringConstraints(min_length=1)]]


def _token(word: str) -> str:
    """The word a cue is about: "app's" is the app, French "l'écran" is "écran"."""
    word = _ELISION.sub("", word)
    return word[:-2] if word.endswith("'s") else word


def _clauses(text: str) -> list[list[str]]:
    parts = _CLAUSE_BREAK.split(text.lower().replace("’", "'"))
    return [[_token(w) for w in _WORD.findall(part)] for part in parts]


class ManyPeople(Model):
    """Many people affected is a high-severity sign however it is worded: a quantifier ("all", "entire",
    "several") followed within `window` words by a group of people ("users", "team", "staff")."""

    quantifiers: Words
    groups: Words
    window: Annotated[int, Field(ge=1, le=4)]
    weight: Weight


class TriageCues(Model):
    """The cue tables of `triage_cues.json`; its `notes` say what each table is for."""

    schema_version: Literal[1]
    notes: dict[str, str]
    negators: Words
    fillers: Words
    not_after: dict[str, Words]
    categories: dict[Category, dict[str, Weight]]
    severities: dict[Severity, dict[str, Weight]]
    many_people: ManyPeople | None = None

    @field_validator("categories", "severities")
    @classmethod
    def _cues_are_whole_words[K: (Category, Severity)](cls, tables: dict[K, dict[str, int]]) -> dict[K, dict[str, int]]:
        for label, cues in tables.items():
            for cue in cues:
                # A cue the text splitter would cut or change differently can never match.
                if [" ".join(words) for words in _clauses(cue)] != [cue]:
                    raise ValueError(f"{label.value} cue {cue!r} is not lower-case whole words of one clause")
        return tables

    @model_validator(mode="after")
    def _tables_cover_the_labels(self) -> TriageCues:
        missing = [c.value for c in _CATEGORY_PRIORITY if c not in self.categories]
        missing += [s.value for s in _SEVERITY_PRIORITY if s not in self.severities]
        if missing:
            raise ValueError(f"no cue table for {', '.join(missing)}")
        if Category.GENERAL in self.categories:
            raise ValueError("general is what no category cue means; it takes no cue table")
        tables = (*self.categories.values(), *self.severities.values())
        first_words = {cue.split()[0] for table in tables for cue in table}
        if unused := sorted(set(self.not_after) - first_words):
            raise ValueError(f"not_after names words that start no cue: {', '.join(unused)}")
        return self


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads would keep the last of two equal keys silently: a cue given twice is a mistake.
    keys = [key for key, _ in pairs]
    if duplicates := sorted({key for key in keys if keys.count(key) > 1}):
        raise ValueError(f"{CUES_FILE}: {', '.join(map(repr, duplicates))} given twice in one object")
    return dict(pairs)


def parse_cues(text: str) -> TriageCues:
    """Cue tables from JSON text; the error names the bad entry."""
    return TriageCues.model_validate(json.loads(text, object_pairs_hook=_refuse_duplicate_keys))


@cache
def load_cues() -> TriageCues:
    """The cue tables shipped beside this module, read and validated once per process."""
    return parse_cues(resources.files(__package__).joinpath(CUES_FILE).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Match:
    cue: str
    weight: int


def _matches(words: list[str], start: int, parts: list[str], not_after: dict[str, frozenset[str]]) -> bool:
    n = len(parts)
    found = words[start : start + n]
    if n == 1 and found and found[0] == parts[0] + "s":
        found = parts  # a plural of a one-word cue: "laptops", "passwords"
    if found != parts:
        return False
    excluded = not_after.get(parts[0])
    return not (excluded and start > 0 and words[start - 1] in excluded)


def _is_negated(words: list[str], start: int, cues: TriageCues) -> bool:
    i = start - 1
    while i >= 0 and words[i] in cues.fillers:
        i -= 1
    return i >= 0 and words[i] in cues.negators


def find_cues(text: str, table: dict[str, int]) -> list[Match]:
    """Each cue of the table found as whole words (phrases as consecutive words), not negated.

    A cue counts once per ticket however often it recurs: a long report that repeats "error" or
    pastes a log full of "security" says no more about the problem than one that names it once.
    """
    language = load_cues()
    found: dict[str, Match] = {}
    phrases = {cue: cue.split() for cue in table}
    for words in _clauses(text):
        for cue, parts in phrases.items():
            if cue in found:
                continue
            n = len(parts)
            for start in range(len(words) - n + 1):
                if _matches(words, start, parts, language.not_after) and not _is_negated(words, start, language):
                    found[cue] = Match(cue, table[cue])
                    break
    # "permissions" matches both the cue "permission" (as its plural) and the cue "permissions": one word, once.
    return [m for cue, m in found.items() if cue + "s" not in found]


MANY_PEOPLE = "many people affected"


def find_many_people(text: str, rule: ManyPeople | None) -> list[Match]:
    """One match when a clause names a quantifier then a group of people close after it, not negated."""
    if rule is None:
        return []
    language = load_cues()
    for words in _clauses(text):
        for start, word in enumerate(words):
            if word not in rule.quantifiers or _is_negated(words, start, language):
                continue
            after = words[start + 1 : start + 1 + rule.window]
            if any(w in rule.groups or (w.endswith("s") and w[:-1] in rule.groups) for w in after):
                return [Match(MANY_PEOPLE, rule.weight)]
    return []


def _best[K: (Category, Severity)](scores: dict[K, int], priority: tuple[K, ...]) -> K | None:
    top = max(scores.values(), default=0)
    if top <= 0:
        return None
    return next(k for k in priority if scores.get(k, 0) == top)


def _cue_list(matches: list[Match]) -> str:
    return ", ".join(f"'{m.cue}' +{m.weight}" for m in matches)


def analyze_ticket(ticket: Ticket) -> Analysis:
    """Triage a ticket with the rules; the explanation names the deciding cues."""
    text = f"{ticket.subject}\n{ticket.description}"
    cues = load_cues()
    by_category = {c: find_cues(text, table) for c, table in cues.categories.items()}
    category_scores = {c: sum(m.weight for m in ms) for c, ms in by_category.items()}
    category = _best(category_scores, _CATEGORY_PRIORITY) or Category.GENERAL

    by_severity = {s: find_cues(text, table) for s, table in cues.severities.items()}
    by_severity[Severity.HIGH] = by_severity.get(Severity.HIGH, []) + find_many_people(text, cues.many_people)
    severity_scores = {s: sum(m.weight for m in ms) for s, ms in by_severity.items()}
    # A question that names no technical problem is a request for information: low.
    asks = category is Category.GENERAL and "?" in text
    severity = _best(severity_scores, _SEVERITY_PRIORITY) or (Severity.LOW if asks else Severity.MEDIUM)

    others = ", ".join(f"{c.value} {category_scores[c]}" for c in cues.categories if c != category)
    if category is Category.GENERAL:
        category_reason = "Category general: no category cue found."
    else:
        category_reason = (
            f"Category {category.value} scored {category_scores[category]} "
            f"({_cue_list(by_category[category])}); others: {others}."
        )
    if by_severity[severity]:
        severity_reason = (
            f"Severity {severity.value} scored {severity_scores[severity]} ({_cue_list(by_severity[severity])})."
        )
    elif severity is Severity.LOW:
        severity_reason = "Severity low: a question that names no technical problem and no severity cue."
    else:
        severity_reason = "Severity medium: no severity cue found, so the default applies."

    signals = [m.cue for m in by_category.get(category, [])] + [m.cue for m in by_severity[severity]]
    return Analysis(
        category=category,
        severity=severity,
        summary=_summary(ticket),
        signals=list(dict.fromkeys(signals)),
        explanation=f"{category_reason} {severity_reason}",
        source="rules",
    )


def _summary(ticket: Ticket) -> str:
    if ticket.subject:
        return ticket.subject
    first = re.split(r"(?<=[.!?])\s", ticket.description.strip(), maxsplit=1)[0]
    return first if len(first) <= 140 else first[:137].rstrip() + "..."
