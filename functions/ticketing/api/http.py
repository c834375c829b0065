"""Reading requests and writing responses the same way on every route.

Bodies are parsed here by hand rather than by Powertools' validation: the contract
tells a body over 64 KiB (413), a wrong media type (415) and malformed JSON (400
`malformed_json`) apart, which Powertools folds into one 422.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel, ValidationError

from ..ports import Services
from .errors import PayloadTooLarge, RequestError, UnsupportedMediaType

MAX_BODY_BYTES = 64 * 1024
JSON = "application/json"
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"
IDEMPOTENCY_KEY = "Idempotency-Key"

# Ticket data and approval tokens must not be cached, framed, sniffed or leaked by Referer.
_SAFE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PAGE_HEADERS = {
    **_SAFE_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    text = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body, default=str)
    return Response(status_code=status, content_type=JSON, body=text, headers={**_SAFE_HEADERS, **(headers or {})})


def html_response(status: int, body: str) -> Response[str]:
    return Response(status_code=status, content_type=f"{HTML}; charset=utf-8", body=body, headers=_PAGE_HEADERS)


# The services of the request being answered. A ContextVar, not the resolver's shared context: the
# resolver is one object per process, and the local server answers requests on several threads.
_SERVICES: ContextVar[Services] = ContextVar("services")


@contextmanager
def serving(services: Services) -> Iterator[None]:
    """Answer the requests resolved inside the block with `services`."""
    token = _SERVICES.set(services)
    try:
        yield
    finally:
        _SERVICES.reset(token)


def current_services() -> Services:
    return _SERVICES.get()


def header(event: APIGatewayProxyEvent, name: str) -> str:
    return event.headers.get(name) or ""


def _media_type(event: APIGatewayProxyEvent) -> str:
    return header(event, "content-type").split(";")[0].strip().lower()


def wants_html(event: APIGatewayProxyEvent) -> bool:
    """Approval routes answer browsers with pages and API clients with JSON."""
    accept = header(event, "accept")
    if JSON in accept and HTML not in accept:
        return False
    return HTML in accept or header(event, "content-type").startswith(FORM)


def raw_body(event: APIGatewayProxyEvent) -> str:
    try:
        body = event.decoded_body or ""
    except (UnicodeDecodeError, binascii.Error):  # API Gateway base64-encodes bodies that are not text
        raise RequestError("The request body is not UTF-8 text.", code="malformed_body") from None
    if len(body.encode()) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    return body


def json_object(event: APIGatewayProxyEvent, media_hint: str) -> dict[str, Any]:
    """The body as a JSON object; `media_hint` says what to send when the media type is wrong."""
    media = _media_type(event)
    if media and media != JSON:
        raise UnsupportedMediaType(media_hint)
    try:
        body = json.loads(raw_body(event) or "null")
    except (ValueError, RecursionError):
        raise RequestError("The request body is not valid JSON.", code="malformed_json") from None
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object.", code="malformed_json")
    return body


def validation_message(error: ValidationError) -> str:
    """One sentence naming the first field a body got wrong."""
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    if first["type"] == "missing":
        return f"The field '{field}' is required."
    if first["type"] == "extra_forbidden":
        return f"The field '{field}' is not accepted."
    return f"The field '{field}' is invalid: {first['msg']}."


def parsed[M: BaseModel](model: type[M], body: dict[str, Any], code: str) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise RequestError(validation_message(error), code=code) from None


# Form fields that may repeat (`steps`, in order) or carry a key (`notes[<action id>]`); others appear once.
_REPEATED = {"steps"}
_KEYED = "notes"
_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no", ""}


def form_or_json(event: APIGatewayProxyEvent, fields: str) -> dict[str, Any]:
    """A form's fields or a JSON object, as one dict: `steps` a list in order, `notes` a dict by key,
    `notify_customer` a bool, every other field a string given once; `fields` names them for errors."""
    media = _media_type(event)
    raw = raw_body(event)
    if media == FORM:
        return _form_fields(parse_qsl(raw, keep_blank_values=True))
    if media == JSON:
        try:
            body = json.loads(raw or "null")
        except (ValueError, RecursionError):
            raise RequestError("The request body is not valid JSON.", code="malformed_json") from None
        if not isinstance(body, dict) or not all(_json_field_ok(k, v) for k, v in body.items()):
            raise RequestError(
                f"Send a JSON object: {fields}; `steps` a list of strings, `notes` an object of strings, "
                "`notify_customer` true or false, the rest strings.",
                code="malformed_json",
            )
        return body
    raise UnsupportedMediaType("Send the decision as a form or as JSON.")


def _json_field_ok(key: str, value: Any) -> bool:
    if key in _REPEATED:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if key == _KEYED:
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if key == "notify_customer":
        return isinstance(value, bool)
    return isinstance(value, str)


def _form_fields(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in _REPEATED:
            listed = found.setdefault(key, [])
            if value:  # an empty value only says the list is sent: a form cannot send an empty list
                listed.append(value)
        elif key.startswith(f"{_KEYED}[") and key.endswith("]"):
            notes = found.setdefault(_KEYED, {})
            if key[len(_KEYED) + 1 : -1] in notes:
                raise RequestError("Each form field may appear once.")
            if value.strip():
                notes[key[len(_KEYED) + 1 : -1]] = value
        elif key in found:
            raise RequestError("Each form field may appear once.")
        else:
            found[key] = value
    if "notify_customer" in found:
        flag = str(found["notify_customer"]).strip().lower()
        if flag not in _TRUE | _FALSE:
            raise RequestError("Say true or false in the field 'notify_customer'.", code="invalid_decision")
        found["notify_customer"] = flag in _TRUE
    return found


def single_query_value(event: APIGatewayProxyEvent, name: str) -> str:
    values = (event.multi_value_query_string_parameters or {}).get(name) or []
    if not values:
        single = (event.query_string_parameters or {}).get(name)
        values = [single] if single else []
    if len(values) != 1 or not values[0]:
        raise RequestError(f"The link needs exactly one '{name}' parameter. Use the link from the email unchanged.")
    return values[0]


def idempotency_key(event: APIGatewayProxyEvent) -> str | None:
    """The client's Idempotency-Key: at most one, 1-255 printable ASCII characters."""
    headers = event.multi_value_headers or {}
    values = [v for name, found in headers.items() if name.lower() == IDEMPOTENCY_KEY.lower() for v in found]
    if not values and IDEMPOTENCY_KEY.lower() in {name.lower() for name in event.headers}:
        values = [header(event, IDEMPOTENCY_KEY.lower())]
    if not values:
        return None
    key = str(values[0]).strip()
    if len(values) != 1 or not 1 <= len(key) <= 255 or not all(" " <= c <= "~" for c in key):
        raise RequestError(
            "Send one Idempotency-Key header of 1-255 printable ASCII characters, or none.",
            code="invalid_idempotency_key",
        )
    return key
