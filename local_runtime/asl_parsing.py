"""moto's Step Functions interpreter parses each execution's definition with a `Preprocessor` whose
query-language scope stack is a class attribute, shared by every instance: executions started at
the same moment corrupt each other's parse (an IndexError in the execution's thread, and the
ticket never moves). AWS has no such limit. Installed by the runtime, this makes moto parse one
definition at a time; `uninstall()` puts moto's parser back."""

from __future__ import annotations

import threading
from typing import Any

from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

_lock = threading.Lock()
_original: Any = None


def install() -> bool:
    """Serialize moto's ASL parsing; True when this call installed it."""
    global _original
    if _original is not None:
        return False
    original = AmazonStateLanguageParser.__dict__["parse"]
    parse = original.__func__

    def one_at_a_time(definition: str) -> Any:
        with _lock:
            return parse(definition)

    AmazonStateLanguageParser.parse = staticmethod(one_at_a_time)  # type: ignore[method-assign]
    _original = original
    return True


def uninstall() -> None:
    global _original
    if _original is not None:
        AmazonStateLanguageParser.parse = _original  # type: ignore[method-assign]
        _original = None
