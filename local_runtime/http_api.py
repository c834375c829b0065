"""The API over local HTTP: each request becomes an API Gateway proxy event for the
same API handler that runs in Lambda. Also serves, under `/_local/`, the outbox, the
events published, the webhook deliveries, and the built-in webhook inbox.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from .event_delivery import DeliveryLedger, EventLog, WebhookInbox
from .lambda_host import Invocation
from .outbox import OutboxEmail

# API Gateway refuses payloads over 10 MB before the function sees them.
MAX_REQUEST_BYTES = 10 * 1024 * 1024


def proxy_event(method: str, target: str, headers: dict[str, list[str]], body: bytes, source_ip: str) -> dict[str, Any]:
    """An API Gateway REST (v1) Lambda proxy event for one HTTP request."""
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    try:
        text, encoded = body.decode(), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    request_id = str(uuid.uuid4())
    return {
        "resource": parts.path,
        "path": parts.path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": request_id,
            "stage": "local",
            "path": parts.path,
            "httpMethod": method,
            "resourcePath": parts.path,
            "identity": {"sourceIp": source_ip},
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


class ApiInvoker(Protocol):
    """Runs the API function on an API Gateway proxy event, as API Gateway would invoke it."""

    def __call__(self, event: dict[str, Any]) -> Invocation: ...


class SentMail(Protocol):
    def emails(self) -> list[OutboxEmail]: ...

    def find(self, message_id: str) -> OutboxEmail | None: ...


class LocalPages(Protocol):
    """More local pages under `/_local/` (the console): which paths they answer, and the answer."""

    def handles(self, path: str) -> bool: ...

    def respond(self, method: str, target: str) -> tuple[int, dict[str, str], bytes]: ...


class LocalHttpApi:
    """Binds its socket at once (so the base URL is known before `start`); serves from `start` to `stop`."""

    def __init__(
        self,
        invoke_api: ApiInvoker,
        outbox: SentMail,
        host: str,
        port: int,
        console: LocalPages | None = None,
        *,
        events: EventLog | None = None,
        deliveries: DeliveryLedger | None = None,
        inbox: WebhookInbox | None = None,
    ) -> None:
        views = _LocalViews(events or EventLog(), deliveries or DeliveryLedger([]), inbox)
        self._server = ThreadingHTTPServer((host, port), _request_handler_class(invoke_api, outbox, views, console))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return _base_url(self._server)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="supportflow-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for serve_forever, which never ran otherwise
            self._server.shutdown()
            self._thread = None
        self._server.server_close()


class _LocalViews:
    """What `/_local/` shows besides the outbox: events, webhook deliveries, the built-in inbox."""

    def __init__(self, events: EventLog, deliveries: DeliveryLedger, inbox: WebhookInbox | None) -> None:
        self.events = events
        self.deliveries = deliveries
        self.inbox = inbox

    def get(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes] | None:
        ticket_id = query["ticket_id"][-1] if query.get("ticket_id") else None
        if path == "/_local/events":
            return _json(200, [e.view() for e in self.events.events(ticket_id)])
        if path == "/_local/webhooks":
            return _json(200, [d.view() for d in self.deliveries.deliveries(ticket_id)])
        if path == "/_local/webhook-deliveries":
            page = _deliveries_page(self.deliveries.deliveries(ticket_id), self.deliveries.subscribers)
            return 200, "text/html; charset=utf-8", page.encode()
        if path == "/_local/webhook-inbox" and self.inbox is not None:
            received = [
                {
                    "received_at": r.received_at.isoformat(),
                    "signature_valid": r.signature_valid,
                    "problem": r.problem,
                    "event": r.event,
                }
                for r in self.inbox.received()
            ]
            return _json(200, received)
        return None

    def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes] | None:
        if path == "/_local/webhook-inbox" and self.inbox is not None:
            status = self.inbox.receive(headers, body)
            return _json(status, {"received": status == 200})
        return None


def _json(status: int, value: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(value, indent=2).encode()


def _request_handler_class(
    invoke_api: ApiInvoker, outbox: SentMail, views: _LocalViews, console: LocalPages | None = None
) -> type[BaseHTTPRequestHandler]:
    class ApiRequestHandler(BaseHTTPRequestHandler):
        server_version = "supportflow-local"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return  # quiet: the demo prints its own story

        def _headers(self) -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for key, value in self.headers.items():
                found.setdefault(key, []).append(value)
            return found

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self.close_connection = True
                body = json.dumps({"error": "payload_too_large", "message": "The request is larger than 10 MB."})
                return self._send(413, {"Content-Type": "application/json"}, body.encode())
            raw = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            if path.startswith("/_local/") or path == "/":
                return self._local(path, raw)
            event = proxy_event(self.command, self.path, self._headers(), raw, self.client_address[0])
            result, failed = invoke_api(event)
            if failed:
                body = json.dumps(
                    {"error": "internal_error", "message": "The API function failed; see the server log."}
                )
                print(f"API function error: {result.get('errorType')}: {result.get('errorMessage')}")
                return self._send(502, {"Content-Type": "application/json"}, body.encode())
            headers = {k: v for k, v in (result.get("headers") or {}).items()}
            for key, values in (result.get("multiValueHeaders") or {}).items():
                headers[key] = ", ".join(values)
            payload = result.get("body") or ""
            data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
            self._send(int(result["statusCode"]), headers, data)

        def _local(self, path: str, raw: bytes) -> None:
            if console is not None and console.handles(path):
                return self._send(*console.respond(self.command, self.path))
            if self.command == "POST":
                posted = views.post(path, {k: v for k, v in self.headers.items()}, raw)
                if posted is not None:
                    status, kind, data = posted
                    return self._send(status, {"Content-Type": kind}, data)
            if self.command != "GET":
                return self._send(405, {"Content-Type": "text/plain"}, b"GET only")
            shown = views.get(path, parse_qs(urlsplit(self.path).query))
            if shown is not None:
                status, kind, data = shown
                return self._send(status, {"Content-Type": kind}, data)
            if path == "/_local/outbox":
                body = json.dumps([e.model_dump(mode="json") for e in outbox.emails()], indent=2)
                return self._send(200, {"Content-Type": "application/json"}, body.encode())
            if path == "/_local/mail" or path == "/":
                page = _outbox_page(outbox.emails(), _base_url(self.server))
                return self._send(200, {"Content-Type": "text/html; charset=utf-8"}, page.encode())
            if path.startswith("/_local/mail/"):
                email = outbox.find(path.rsplit("/", 1)[-1])
                if email is not None:
                    return self._send(200, {"Content-Type": "text/html; charset=utf-8"}, email.html.encode())
            self._send(
                404, {"Content-Type": "application/json"}, b'{"error":"not_found","message":"No such local page."}'
            )

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    return ApiRequestHandler


def _base_url(server: Any) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def _outbox_page(emails: list[OutboxEmail], base_url: str) -> str:
    rows = "".join(
        f"<tr><td>{e.sent_at:%H:%M:%S}</td><td>{escape(', '.join(e.to))}</td>"
        f"<td><a href='/_local/mail/{escape(e.message_id, quote=True)}'>{escape(e.subject)}</a></td>"
        f"<td>{escape(e.kind)}</td></tr>"
        for e in reversed(emails)
    )
    empty = "" if rows else "<tr><td colspan='4'>No email yet. Submit a ticket.</td></tr>"
    base = escape(base_url)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>supportflow local outbox</title>"
        "<style>body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:900px;margin:32px auto;"
        "padding:0 16px;color:#1f2933}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d9e2ec;"
        "padding:8px;text-align:left}pre{background:#f0f4f8;padding:12px;overflow:auto}</style></head><body>"
        "<h1>supportflow: local outbox</h1>"
        "<p>Emails the local stack sent through SES (moto). Open one and follow its links. "
        "JSON: <a href='/_local/outbox'>/_local/outbox</a>. Lifecycle events: <a href='/_local/events'>"
        "/_local/events</a>; webhook deliveries: <a href='/_local/webhook-deliveries'>readable</a>, "
        "<a href='/_local/webhooks'>JSON</a>.</p>"
        f"<table><tr><th>Sent</th><th>To</th><th>Subject</th><th>Kind</th></tr>{rows}{empty}</table>"
        "<h2>Submit a ticket</h2>"
        f"<pre>curl -s -X POST {base}/tickets \\\n  -H 'Content-Type: application/json' \\\n"
        '  -d \'{"customer_id": "cust-42", "customer_email": "jo@example.com",\n'
        '       "description": "My internet connection keeps dropping every few minutes."}\'</pre>'
        "</body></html>"
    )


def _deliveries_page(deliveries: list[Any], subscribers: list[str]) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(d.last_attempt_at and d.last_attempt_at.strftime('%H:%M:%S')))}</td>"
        f"<td><a href='/tickets/{escape(d.ticket_id, quote=True)}'>{escape(d.ticket_id)}</a></td>"
        f"<td>{escape(str(d.sequence))}</td><td>{escape(d.detail_type)}</td>"
        f"<td class='{escape(d.status, quote=True)}'>{escape(d.status)}</td><td>{d.attempts}</td></tr>"
        for d in reversed(deliveries)
    )
    empty = "" if rows else "<tr><td colspan='6'>No delivery yet. Submit a ticket.</td></tr>"
    to = ", ".join(escape(s) for s in subscribers) or "none"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>supportflow webhook deliveries</title>"
        "<style>body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:980px;margin:32px auto;"
        "padding:0 16px;color:#1f2933}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d9e2ec;"
        "padding:8px;text-align:left}.delivered{color:#1f7a4d}.retrying{color:#9a6700}"
        ".dead-lettered{color:#b42318;font-weight:600}</style></head><body>"
        "<h1>supportflow: webhook deliveries</h1>"
        f"<p>Every lifecycle event, signed and POSTed to: {to}. Newest first. "
        "JSON: <a href='/_local/webhooks'>/_local/webhooks</a>; the events: <a href='/_local/events'>"
        "/_local/events</a>; mail: <a href='/_local/mail'>/_local/mail</a>.</p>"
        "<table><tr><th>Last attempt</th><th>Ticket</th><th>Sequence</th><th>Event</th><th>Status</th>"
        f"<th>Attempts</th></tr>{rows}{empty}</table></body></html>"
    )
