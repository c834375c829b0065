"""Reading an AWS error: its code and message, and whether a later attempt may succeed."""

from __future__ import annotations

from botocore.exceptions import ClientError


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def is_passing(error: ClientError, codes: frozenset[str]) -> bool:
    """True when the service answered one of its passing `codes`, throttled (429) or failed on its side (5xx)."""
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return error_code(error) in codes or status >= 500 or status == 429
