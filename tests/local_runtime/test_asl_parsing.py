"""moto parses each execution's definition with shared state; the runtime parses one at a time."""

from __future__ import annotations

import json
import threading
from typing import Any

from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

from local_runtime import asl_parsing
from tests.infra.conftest import state_machine_definition


def test_moto_shares_the_parsers_scope_stack_between_parses():
    # The reason for the fix: every Preprocessor (one per parse) works on the same list, so two parses at
    # once pop each other's scopes (seen as an IndexError that stalled a ticket in the 200-ticket load test).
    assert Preprocessor()._query_language_per_scope is Preprocessor()._query_language_per_scope


def test_a_parse_waits_while_another_is_under_way(template: dict[str, Any]):
    definition = json.dumps(state_machine_definition(template))
    assert asl_parsing.install()
    try:
        done = threading.Event()
        with asl_parsing._lock:  # another execution's parse is under way
            worker = threading.Thread(target=lambda: (AmazonStateLanguageParser.parse(definition), done.set()))
            worker.start()
            assert not done.wait(0.3)
        worker.join(timeout=10)
        assert done.is_set()
    finally:
        asl_parsing.uninstall()


def test_uninstall_puts_motos_parser_back_and_install_is_owned_once():
    before = AmazonStateLanguageParser.__dict__["parse"]
    assert asl_parsing.install() and not asl_parsing.install()
    assert AmazonStateLanguageParser.__dict__["parse"] is not before
    asl_parsing.uninstall()
    assert AmazonStateLanguageParser.__dict__["parse"] is before
