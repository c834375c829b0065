"""The `supportflow` command: `demo` runs the story end to end; `serve` keeps the stack up."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def policy_context(path: str | None) -> dict[str, Any]:
    """CDK context for `--policy PATH`, the file checked as `cdk synth` checks it (`InvalidPolicy` if bad).

    A relative path is taken from the current directory, else from the repository (as CDK context is).
    """
    if path is None:
        return {}
    from infra.config import load_policy

    given = Path(path).expanduser()
    if not given.is_absolute() and not given.exists() and (ROOT / given).exists():
        given = ROOT / given
    absolute = str(given.resolve())
    load_policy(absolute)
    return {"approval_policy": absolute}


def webhook_url_problem(url: str | None) -> str | None:
    """Why `--webhook-url` cannot be used, or None when it can (http or https, a host, no spaces)."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        return f"--webhook-url {url!r} is not an http:// or https:// URL"
    return None


def _serve(
    host: str, port: int, policy: str | None, webhook_url: str | None = None, webhook_secret: str | None = None
) -> int:
    from infra.config import DEFAULTS
    from ticketing.domain.policy import InvalidPolicy

    from .runtime import LocalRuntime

    try:
        context = policy_context(policy)
    except InvalidPolicy as bad:
        print(f"supportflow: {bad}", file=sys.stderr)
        return 2
    try:
        problem = webhook_url_problem(webhook_url)
        if problem is not None:
            print(f"supportflow: {problem}", file=sys.stderr)
            return 2
        runtime = LocalRuntime(
            host=host, port=port, context=context, webhook_url=webhook_url, webhook_secret=webhook_secret
        )
    except OSError as error:
        print(f"supportflow: cannot listen on {host}:{port} ({error.strerror}); try --port {port + 1}", file=sys.stderr)
        return 2
    with runtime:
        base = runtime.base_url
        print(f"supportflow is serving the local stack at {base}")
        print(f"  approval policy: {context.get('approval_policy', DEFAULTS['approval_policy'])}")
        print(f"  POST {base}/tickets                 submit a ticket (JSON)")
        print(f"  GET  {base}/tickets/<ticket_id>     ticket status")
        print(f'  POST {base}/tickets/<ticket_id>/messages      ask about a ticket (JSON {{"text": …}})')
        print(f"  GET  {base}/tickets/<ticket_id>/conversation  the ticket's conversation")
        print(f"  GET  {base}/approvals/<ticket_id>?token=…  approval page (link from the email)")
        print(f"  GET  {base}/openapi.json            the API's OpenAPI description")
        print(f"  GET  {base}/_local/mail             the outbox, readable, links clickable")
        print(f"  GET  {base}/_local/outbox           the outbox as JSON")
        print(f"  GET  {base}/_local/events           lifecycle events published (?ticket_id=…)")
        print(f"  GET  {base}/_local/webhook-deliveries  webhook deliveries, readable (JSON: /_local/webhooks)")
        print(f"  webhooks go to {runtime.webhook_url}")
        if webhook_secret is None:
            print(f"  webhook signing secret (generated; --webhook-secret to choose): {runtime.webhook_secret}")
        print(f"  GET  {base}/_local/console          the operator's console (tickets, state machine, trail)")
        print("Press Ctrl-C to stop.", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def openapi_text() -> str:
    """The OpenAPI document as committed in docs/openapi.json."""
    import json

    from ticketing.api.app import openapi_document

    return json.dumps(openapi_document(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    parser = argparse.ArgumentParser(prog="supportflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run three tickets end to end under policies/example.yaml, printing each step")
    serve = commands.add_parser("serve", help="run the local stack and its HTTP API until stopped")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--policy",
        metavar="PATH",
        help="the approval policy file (YAML; default policies/default.yaml); see README, Approval policies",
    )
    serve.add_argument(
        "--webhook-url",
        metavar="URL",
        help="POST every lifecycle event here, signed (default: the built-in inbox at /_local/webhook-inbox)",
    )
    serve.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help="the key that signs webhook deliveries (default: a new one, printed at start)",
    )
    commands.add_parser("openapi", help="print the API's OpenAPI document (docs/openapi.json is its copy)")
    commands.add_parser("event-docs", help="write the lifecycle events' JSON Schemas and examples to docs/events/")
    _add_console_commands(commands)
    args = parser.parse_args(argv)
    if args.command in ("tickets", "show"):
        return _console_command(args)
    if args.command == "event-docs":
        from .event_docs import write

        for path in write():
            print(path.relative_to(ROOT))
        return 0
    if args.command == "openapi":
        print(openapi_text(), end="")
        return 0
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(lambda line="": print(line, flush=True))
    return _serve(args.host, args.port, args.policy, args.webhook_url, args.webhook_secret)


def _add_console_commands(commands: Any) -> None:
    """`tickets` and `show`: what the console shows, as text, from a running local stack."""
    from .console.commands import DEFAULT_URL

    listing = commands.add_parser("tickets", help="list the tickets of a running local stack, newest first")
    listing.add_argument("--url", default=DEFAULT_URL, help=f"the stack's base URL (default {DEFAULT_URL})")
    listing.add_argument("--state", help="only tickets in this state (e.g. AWAITING_APPROVAL)")
    show = commands.add_parser("show", help="print one ticket's checkpoint trail and execution history")
    show.add_argument("ticket_id")
    show.add_argument("--url", default=DEFAULT_URL, help=f"the stack's base URL (default {DEFAULT_URL})")


def _console_command(args: argparse.Namespace) -> int:
    from .console import commands

    try:
        if args.command == "tickets":
            return commands.tickets(args.url, args.state)
        return commands.show(args.url, args.ticket_id)
    except commands.CommandFailed as failed:
        print(f"supportflow: {failed}", file=sys.stderr)
        return failed.exit_code


if __name__ == "__main__":
    sys.exit(main())
