"""Lambda SnapStart runtime hooks: what a snapshot may carry, and what each restored environment makes anew.

With SnapStart, Lambda runs a function's init once, snapshots the memory, and starts
many environments from that one snapshot. So the snapshot may hold code and data
(imports, the catalog, settings) but nothing that must differ per environment or
that may go stale: Python's `random` state (botocore's retry jitter draws from it),
AWS clients with the credentials of the init environment, the signing key read
from Secrets Manager. Our own identifiers (ticket ids, link nonces) come from
`secrets`, which reads the kernel at each call. `snapshot_restore_py` is part of
Lambda's Python runtime; elsewhere (tests, the local runtime) nothing is snapshotted
and no hook is registered.
"""

from __future__ import annotations

import importlib
import os
import random

from .adapters import aws_clients, signing_key
from .contract import Env


def before_snapshot() -> None:
    """Load what the first invocation would otherwise load: boto3, and the model SDK where a model is set."""
    importlib.import_module("boto3")
    if os.environ.get(Env.MODEL_ID.value, "none").strip().lower() not in ("", "none"):
        importlib.import_module("ticketing.agents.bedrock")


def after_restore() -> None:
    """Make this environment's own: a fresh random state, no client or key from the snapshot."""
    random.seed()
    aws_clients.reset_clients()
    signing_key.forget_keys()


def register_hooks() -> bool:
    """Register the hooks with Lambda's runtime; False where there is no SnapStart runtime."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True
