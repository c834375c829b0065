"""The approval-link signing key, read from Secrets Manager once per container."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_keys: dict[str, bytes] = {}


def signing_key(secrets_client: Any, secret_arn: str) -> bytes:
    key = _keys.get(secret_arn)
    if key is None:
        with _lock:
            response = secrets_client.get_secret_value(SecretId=secret_arn)
            key = response["SecretString"].encode()
            _keys[secret_arn] = key
    return key


def forget_keys() -> None:
    with _lock:
        _keys.clear()
