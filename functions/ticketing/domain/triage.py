"""Rules-based triage: category and severity from whole-word cues, with reasons.

Improves on a keyword substring match ("download" is not "down", "I can't log in
to the app" is an account problem): text is split into words, every category is
scored, phrases count as phrases, a cue right after "not" does not count, and the
result says which cues decided it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from .models import Analysis, Category, Severity, Ticket

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?(?:-[a-z0-9]+)*")
_CLAUSE_BREAK = re.compile(r"[.!?;,:()\n]+|\bbut\b")
_NEGATORS = frozenset({"not", "never", "isn't", "wasn't", "aren't", "nothing"})
_FILLERS = frozenset({"a", "an", "the", "my", "our", "your", "really", "actually", "about"})

CATEGORY_CUES: dict[Category, dict[str, int]] = {
    Category.NETWORK: {
        "internet": 3,
        "wifi": 3,
        "wi-fi": 3,
        "network": 3,
        "connection": 2,
        "connectivity": 3,
        "router": 3,
        "modem": 3,
        "vpn": 3,
        "dns": 3,
        "ethernet": 3,
        "bandwidth": 2,
        "latency": 2,
        "packet loss": 3,
        "disconnects": 2,
        "disconnected": 2,
        "disconnecting": 2,
        "dropping": 2,
        "drops": 2,
        "dropped": 1,
        "offline": 2,
        "ping": 2,
        "firewall": 2,
        "ip address": 3,
        "hotspot": 2,
        "lan": 2,
        "website": 1,
        "timeout": 1,
        "timeouts": 1,
    },
    Category.SOFTWARE: {
        "software": 3,
        "app": 2,
        "application": 2,
        "program": 2,
        "crash": 3,
        "crashes": 3,
        "crashed": 3,
        "crashing": 3,
        "bug": 2,
        "install": 2,
        "installed": 2,
        "installing": 2,
        "installation": 2,
        "update": 2,
        "updated": 2,
        "upgrade": 2,
        "freezes": 2,
        "frozen": 2,
        "not responding": 2,
        "exception": 2,
        "error message": 2,
        "browser": 1,
        "outlook": 2,
        "excel": 2,
        "word": 1,
        "teams": 1,
        "zoom": 1,
        "plugin": 2,
        "extension": 1,
        "license": 2,
        "download": 1,
        "downloading": 1,
        "version": 1,
        "windows update": 3,
        "driver": 1,
    },
    Category.HARDWARE: {
        "hardware": 3,
        "laptop": 2,
        "computer": 1,
        "desktop": 1,
        "printer": 3,
        "printing": 2,
        "keyboard": 3,
        "mouse": 2,
        "monitor": 3,
        "screen": 2,
        "display": 2,
        "battery": 3,
        "charger": 3,
        "charging": 2,
        "overheating": 3,
        "overheats": 3,
        "fan": 2,
        "hard drive": 3,
        "disk": 2,
        "ssd": 3,
        "usb": 2,
        "won't turn on": 3,
        "doesn't turn on": 3,
        "power button": 3,
        "broken": 2,
        "cracked": 3,
        "headset": 2,
        "webcam": 2,
        "camera": 1,
        "microphone": 2,
        "speaker": 2,
        "speakers": 2,
        "docking station": 3,
        "dock": 2,
        "blue screen": 2,
    },
    Category.ACCOUNT: {
        "account": 2,
        "log in": 3,
        "login": 3,
        "log-in": 3,
        "logged out": 2,
        "sign in": 3,
        "sign-in": 3,
        "signin": 3,
        "password": 3,
        "passwords": 3,
        "locked out": 3,
        "locked": 2,
        "username": 3,
        "2fa": 3,
        "mfa": 3,
        "two-factor": 3,
        "authentication": 2,
        "authenticator": 3,
        "permission": 2,
        "permissions": 2,
        "access denied": 3,
        "billing": 2,
        "invoice": 2,
        "subscription": 2,
        "verification code": 3,
        "sso": 3,
        "profile": 1,
        "email address": 1,
    },
}

SEVERITY_CUES: dict[Severity, dict[str, int]] = {
    Severity.HIGH: {
        "outage": 3,
        "down": 3,
        "urgent": 3,
        "urgently": 3,
        "emergency": 3,
        "critical": 3,
        "production": 2,
        "all users": 3,
        "everyone": 2,
        "entire team": 3,
        "whole office": 3,
        "whole team": 3,
        "data loss": 3,
        "lost data": 3,
        "security": 2,
        "breach": 3,
        "hacked": 3,
        "ransomware": 3,
        "can't work": 3,
        "cannot work": 3,
        "unable to work": 3,
        "completely": 1,
        "asap": 2,
        "immediately": 2,
        "nothing works": 3,
    },
    Severity.MEDIUM: {
        "keeps": 1,
        "intermittent": 2,
        "intermittently": 2,
        "sometimes": 1,
        "slow": 2,
        "dropping": 1,
        "affecting": 2,
        "affects": 2,
        "error": 1,
        "errors": 1,
        "crash": 1,
        "crashes": 1,
        "every few minutes": 1,
        "frequently": 1,
        "often": 1,
        "repeatedly": 1,
        "annoying": 1,
        "work calls": 1,
    },
    Severity.LOW: {
        "question": 2,
        "how do i": 2,
        "how to": 1,
        "wondering": 2,
        "minor": 3,
        "cosmetic": 3,
        "when you have time": 3,
        "no rush": 3,
        "not urgent": 3,
        "request": 1,
        "feature": 2,
        "typo": 3,
        "suggestion": 3,
        "curious": 2,
        "small": 1,
    },
}

# On equal scores the more serious reading wins; with no cue at all, medium.
_SEVERITY_PRIORITY = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)
_CATEGORY_PRIORITY = (Category.ACCOUNT, Category.NETWORK, Category.HARDWARE, Category.SOFTWARE)


K = TypeVar("K", Category, Severity)


@dataclass(frozen=True)
class Match:
    cue: str
    weight: int


def _clauses(text: str) -> list[list[str]]:
    return [_WORD.findall(part) for part in _CLAUSE_BREAK.split(text.lower().replace("’", "'"))]


def _is_negated(words: list[str], start: int) -> bool:
    i = start - 1
    while i >= 0 and words[i] in _FILLERS:
        i -= 1
    return i >= 0 and words[i] in _NEGATORS


def find_cues(text: str, cues: dict[str, int]) -> list[Match]:
    """Each cue found as whole words (phrases as consecutive words), not negated."""
    found: list[Match] = []
    phrases = {cue: cue.split() for cue in cues}
    for words in _clauses(text):
        for cue, parts in phrases.items():
            n = len(parts)
            for start in range(len(words) - n + 1):
                if words[start : start + n] == parts and not _is_negated(words, start):
                    found.append(Match(cue, cues[cue]))
                    break
    return found


def _best(scores: dict[K, int], priority: tuple[K, ...]) -> K | None:
    top = max(scores.values(), default=0)
    if top <= 0:
        return None
    return next(k for k in priority if scores.get(k, 0) == top)


def _describe(matches: list[Match]) -> str:
    return ", ".join(f"'{m.cue}' +{m.weight}" for m in matches)


def analyze_ticket(ticket: Ticket) -> Analysis:
    """Triage a ticket with the rules; the explanation names the deciding cues."""
    text = f"{ticket.subject}\n{ticket.description}"
    by_category = {c: find_cues(text, cues) for c, cues in CATEGORY_CUES.items()}
    category_scores = {c: sum(m.weight for m in ms) for c, ms in by_category.items()}
    category = _best(category_scores, _CATEGORY_PRIORITY) or Category.GENERAL

    by_severity = {s: find_cues(text, cues) for s, cues in SEVERITY_CUES.items()}
    severity_scores = {s: sum(m.weight for m in ms) for s, ms in by_severity.items()}
    severity = _best(severity_scores, _SEVERITY_PRIORITY) or Severity.MEDIUM

    others = ", ".join(f"{c.value} {category_scores[c]}" for c in CATEGORY_CUES if c != category)
    if category is Category.GENERAL:
        category_reason = "Category general: no category cue found."
    else:
        category_reason = (
            f"Category {category.value} scored {category_scores[category]} "
            f"({_describe(by_category[category])}); others: {others}."
        )
    if by_severity[severity]:
        severity_reason = (
            f"Severity {severity.value} scored {severity_scores[severity]} ({_describe(by_severity[severity])})."
        )
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
