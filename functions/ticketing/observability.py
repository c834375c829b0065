"""Logs, traces and metrics for every function, created once per process.

Each handler is wrapped by `entry_point`: structured JSON logs that carry the Lambda
context and the ticket id, an X-Ray subsegment annotated with the ticket id, and
CloudWatch metrics (embedded metric format) flushed when the handler returns.
Responses are never added to traces: they hold customer text.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit

from . import snapstart
from .domain.models import TICKET_ID_PATTERN

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "supportflow")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Supportflow")

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

# Modules log with `logging.getLogger(__name__)`; their records go through the package
# logger, which gets the Powertools handler, so they are JSON and carry the ticket id too.
logging.getLogger("ticketing")
copy_config_to_registered_loggers(source_logger=logger, include={"ticketing"})

# Every handler loads this module at init, so every function registers its SnapStart hooks.
snapstart.register_hooks()

R = TypeVar("R")
LambdaHandler = Callable[[dict[str, Any], Any], R]


def count(metric: str) -> None:
    """Add one to a ticket metric (TicketsSubmitted, TicketsApproved, …) for this invocation."""
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


_TICKET_ID_IN_PATH = re.compile(TICKET_ID_PATTERN.strip("^$"))


def ticket_id_of(event: dict[str, Any]) -> str | None:
    """The ticket an event is about: a workflow task's payload, or the ticket id in an API path."""
    ticket = event.get("ticket")
    ticket_id = ticket.get("ticket_id") if isinstance(ticket, dict) else None
    if isinstance(ticket_id, str):
        return ticket_id
    path = event.get("path")
    found = _TICKET_ID_IN_PATH.search(path) if isinstance(path, str) else None
    return found.group(0) if found else None


def entry_point[R](*, correlation_id_path: str | None = None) -> Callable[[LambdaHandler[R]], LambdaHandler[R]]:
    """Wrap a Lambda handler with the logger (Lambda context, `cold_start`, correlation id, ticket id),
    the tracer and the metrics."""

    def wrap(handler: LambdaHandler[R]) -> LambdaHandler[R]:
        @functools.wraps(handler)
        def correlated(event: dict[str, Any], context: Any) -> R:
            ticket_id = ticket_id_of(event)
            if ticket_id:
                logger.append_keys(ticket_id=ticket_id)
                tracer.put_annotation(key="ticket_id", value=ticket_id)
            started = time.perf_counter()
            result = handler(event, context)
            logger.info("handled", extra={"handler": handler.__module__, "duration_ms": _since(started)})
            return result

        logged = logger.inject_lambda_context(correlated, correlation_id_path=correlation_id_path, clear_state=True)
        traced = tracer.capture_lambda_handler(logged, capture_response=False)
        return metrics.log_metrics(traced)

    return wrap


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
