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

# Letters of any script, so "écran" and "contraseña" stay whole words.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?(?:-[^\W_]+)*")
_CLAUSE_BREAK = re.compile(r"[.!?¡¿;,:()\n]+|\bbut\b")
_NEGATORS = frozenset({"not", "never", "isn't", "wasn't", "aren't", "nothing"})
_FILLERS = frozenset({"a", "an", "the", "my", "our", "your", "really", "actually", "about"})
# A cue that means something else right after these words: "shuts down" is a device
# turning off, not an outage; "up and down" is flapping; a phone extension is no plugin.
_NOT_AFTER: dict[str, frozenset[str]] = {
    "down": frozenset({"shut", "shuts", "shutting", "slow", "slows", "slowed", "and", "calm", "turn", "turned"}),
    "extension": frozenset({"phone", "desk", "telephone"}),
}

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
        "access point": 3,
        "wireless": 3,
        "proxy": 2,
        "isp": 2,
        "flapping": 1,
        # French, Spanish, German
        "réseau": 3,
        "déconnecte": 2,
        "connexion": 2,
        "conexión": 2,
        "internetverbindung": 3,
        "verbindung": 2,
        "netzwerk": 3,
        "wlan": 3,
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
        "installer": 2,
        "reinstall": 2,
        "reinstalled": 2,
        "uninstall": 2,
        "patch": 2,
        "deploy": 2,
        "macro": 2,
        "runtime error": 2,
        "mail client": 2,
        "email client": 2,
        "email server": 2,
        "mail server": 2,
        "sync client": 2,
        "erp": 2,
        "crm": 2,
        "antivirus": 2,
        "malware": 3,
        "ransomware": 3,
        "virus": 3,
        "spell checker": 2,
        "checkout": 1,
        # French, Spanish, German
        "logiciel": 3,
        "plante": 2,
        "aplicación": 2,
        "programa": 2,
        "se cierra": 2,
        "programm": 2,
        "stürzt": 3,
        "absturz": 3,
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
        "scanner": 3,
        "trackpad": 3,
        "touchpad": 3,
        "tablet": 2,
        "toner": 3,
        "paper jam": 3,
        "jams": 2,
        "audio jack": 3,
        "asset tag": 2,
        "power supply": 3,
        "ups": 3,
        "server room": 2,
        "boot": 1,
        "smoke": 2,
        # French, Spanish, German
        "écran": 2,
        "ordinateur": 1,
        "clavier": 3,
        "imprimante": 3,
        "pantalla": 2,
        "impresora": 3,
        "teclado": 3,
        "bildschirm": 2,
        "drucker": 3,
        "tastatur": 3,
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
        "display name": 3,
        "credentials": 3,
        "denied": 2,
        "compromised": 2,
        "phishing": 2,
        # French, Spanish, German
        "mot de passe": 3,
        "me connecter": 2,
        "contraseña": 3,
        "iniciar sesión": 3,
        "cuenta": 2,
        "passwort": 3,
        "konto": 2,
        "anmelden": 3,
        "gesperrt": 2,
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
        "every customer": 3,
        "all customers": 3,
        "customers can't": 3,
        "customers cannot": 3,
        "losing orders": 3,
        "nobody can": 3,
        "no one can": 3,
        "is blocked": 2,
        "compromised": 3,
        "phishing": 3,
        "smoke": 3,
        "fire": 3,
        "urgente": 3,
        "dringend": 3,
        "urgence": 3,
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
        "up and down": 2,
        "flapping": 2,
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
        "where can i": 2,
        "where do i": 2,
        "who should i": 2,
        "should i": 2,
        "can i": 1,
        "is there": 2,
        "is that possible": 2,
        "is it possible": 2,
        "i'd like": 1,
        "would like": 1,
        "whenever convenient": 3,
        "just so you know": 3,
        "thanks": 2,
        "thank you": 2,
        "solved": 2,
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


_ELISION = re.compile(r"^(?:l|d|j|n|m|s|t|c|qu)'(?=[^\W_])")


def _token(word: str) -> str:
    """The word a cue is about: "app's" is the app, French "l'écran" is "écran"."""
    word = _ELISION.sub("", word)
    return word[:-2] if word.endswith("'s") else word


def _clauses(text: str) -> list[list[str]]:
    parts = _CLAUSE_BREAK.split(text.lower().replace("’", "'"))
    return [[_token(w) for w in _WORD.findall(part)] for part in parts]


def _matches(words: list[str], start: int, parts: list[str]) -> bool:
    n = len(parts)
    found = words[start : start + n]
    if n == 1 and found and found[0] == parts[0] + "s":
        found = parts  # a plural of a one-word cue: "laptops", "passwords"
    if found != parts:
        return False
    excluded = _NOT_AFTER.get(parts[0])
    return not (excluded and start > 0 and words[start - 1] in excluded)


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
                if _matches(words, start, parts) and not _is_negated(words, start):
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
    # A question that names no technical problem is a request for information: low.
    asks = category is Category.GENERAL and "?" in text
    severity = _best(severity_scores, _SEVERITY_PRIORITY) or (Severity.LOW if asks else Severity.MEDIUM)

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
