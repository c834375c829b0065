"""The supportflow stack on one machine, with no AWS account and no Docker.

`LocalRuntime` synthesizes the CDK app, creates the stack's resources in moto
(memory, signing secret, sender identity, state machine from the template's own
ASL), runs moto's Step Functions interpreter, dispatches each Lambda invoke to
the handler named in the template, and serves the API over local HTTP.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws
from moto.core.config import DefaultConfig

from ticketing.adapters import aws_clients, signing_key

from . import aws_hooks
from .faults import Faults
from .http_api import LocalHttpApi
from .outbox import Outbox
from .synth import synthesize
from .template import (
    ACCOUNT,
    REGION,
    FunctionSpec,
    Resolver,
    functions,
    only_resource,
    state_machine_definition,
)

Handler = Callable[[dict[str, Any], Any], Any]
# Fast local defaults: retries that sleep for seconds in real time only slow a laptop.
# Offline by default: no model unless SUPPORTFLOW_MODEL_ID names one (see local_model_id).
LOCAL_CONTEXT: dict[str, Any] = {"retry_interval_seconds": 1, "model_id": "none"}
MODEL_ENV = "SUPPORTFLOW_MODEL_ID"


def local_model_id() -> str:
    """The Bedrock model the local stack's agents use: `SUPPORTFLOW_MODEL_ID`, else none (rules only).

    Setting it is the one step to real Bedrock from this machine: moto then lets
    bedrock-runtime calls through, signed with the user's own AWS credentials.
    """
    return os.environ.get(MODEL_ENV, "").strip() or "none"


@dataclass
class LocalLambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


class LocalRuntime:
    def __init__(
        self,
        *,
        context: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        serve_http: bool = True,
    ) -> None:
        self.context = {**LOCAL_CONTEXT, "model_id": local_model_id(), **(context or {})}
        self.outbox = Outbox()
        self.faults = Faults()
        self._http = LocalHttpApi(self, host, port) if serve_http else None
        self._mock: Any = None
        self._handlers: dict[str, Handler] = {}
        self._specs: dict[str, FunctionSpec] = {}
        self._saved_env: dict[str, str | None] = {}
        self._claimed_tokens: set[str] = set()
        self._token_executions: dict[str, str] = {}
        self._token_lock = threading.Lock()
        self.environment: dict[str, str] = {}
        self.template: dict[str, Any] = {}
        self.state_machine_arn = ""
        self.sfn: Any = None

    @property
    def base_url(self) -> str:
        return self._http.base_url if self._http else "http://127.0.0.1:8000"

    def start(self) -> LocalRuntime:
        self.template = synthesize(self.context)
        aws_hooks.install()
        self._set_env({"AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})
        self._mock = mock_aws(config=self.mock_config())
        self._mock.start()
        aws_clients.reset_clients()
        signing_key.forget_keys()
        resolver = self._create_resources()
        self._load_functions(resolver)
        aws_hooks.activate(self)
        if self._http:
            # The socket is bound since __init__ (so the base URL is known); requests
            # that arrive before this point wait in the backlog instead of failing.
            self._http.start()
        return self

    def mock_config(self) -> DefaultConfig:
        """moto's settings: the ASL interpreter on; Bedrock passed through only when a model is set."""
        config: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}}
        if str(self.context.get("model_id", "none")).strip().lower() not in ("", "none"):
            config["core"] = {"mock_credentials": False, "passthrough": {"services": ["bedrock-runtime"]}}
        return config

    def stop(self) -> None:
        aws_hooks.activate(None)
        if self._http:
            self._http.stop()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        aws_clients.reset_clients()
        signing_key.forget_keys()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _create_resources(self) -> Resolver:
        """Create in moto what the functions and the state machine refer to."""
        template = self.template
        refs: dict[str, str] = {}
        attributes: dict[tuple[str, str], str] = {}

        memory_logical, memory = only_resource(template, "AWS::BedrockAgentCore::Memory")
        created = boto3.client("bedrock-agentcore-control", region_name=REGION).create_memory(
            name=memory["Properties"]["Name"],
            eventExpiryDuration=memory["Properties"]["EventExpiryDuration"],
        )["memory"]
        refs[memory_logical] = created["arn"]
        attributes[(memory_logical, "MemoryId")] = created["id"]
        attributes[(memory_logical, "MemoryArn")] = created["arn"]

        secret_logical, _ = only_resource(template, "AWS::SecretsManager::Secret")
        refs[secret_logical] = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="supportflow-local/approval-link-signing-key", SecretString=secrets.token_urlsafe(48)
        )["ARN"]

        identity_logical, identity = only_resource(template, "AWS::SES::EmailIdentity")
        sender = identity["Properties"]["EmailIdentity"]
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=sender)
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=sender)
        refs[identity_logical] = sender

        api_logical, _ = only_resource(template, "AWS::ApiGateway::RestApi")
        refs[api_logical] = "local"

        for spec in functions(template):
            refs[spec.logical_id] = spec.logical_id
            attributes[(spec.logical_id, "Arn")] = spec.arn
            self._specs[spec.logical_id] = spec

        sm_logical, definition = state_machine_definition(template, Resolver(refs, attributes))
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.state_machine_arn = self.sfn.create_state_machine(
            name="SupportflowTicketWorkflow",
            definition=json.dumps(definition),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/supportflow-local-state-machine",
            type="STANDARD",
        )["stateMachineArn"]
        refs[sm_logical] = self.state_machine_arn
        attributes[(sm_logical, "Arn")] = self.state_machine_arn
        self.definition = definition
        return Resolver(refs, attributes)

    def _load_functions(self, resolver: Resolver) -> None:
        """Give the process the functions' environment, then import each function's handler."""
        environment: dict[str, str] = {}
        for spec in self._specs.values():
            for key, value in resolver.resolve(spec.environment).items():
                if environment.setdefault(key, str(value)) != str(value):
                    raise ValueError(f"functions disagree on {key}; the local runtime shares one environment")
        environment["PUBLIC_BASE_URL"] = self.base_url
        # One JSON log line per invocation and EMF metric lines on stdout would bury the local story;
        # warnings and errors still print. Set before the handlers import Powertools.
        environment.update(POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="WARNING")
        self.environment = environment
        self._set_env(environment)
        # A handler reads its settings at import, as Lambda's init does; a module a previous
        # runtime in this process imported holds that runtime's resources, so import it again.
        loaded: dict[str, ModuleType] = {}
        for spec in self._specs.values():
            module_name, attribute = spec.handler.rsplit(".", 1)
            if module_name not in loaded:
                module = sys.modules.get(module_name)
                loaded[module_name] = (
                    importlib.reload(module) if module is not None else importlib.import_module(module_name)
                )
            self._handlers[spec.logical_id] = getattr(loaded[module_name], attribute)

    def replace_handler(self, name: str, handler: Handler) -> None:
        """Run `handler` for the function `name` (benchmarks and fault injection)."""
        if name not in self._handlers:
            raise KeyError(f"no function {name} in the template")
        self._handlers[name] = handler

    def has_function(self, name: str) -> bool:
        return name in self._handlers

    def function_named(self, handler_module: str) -> str:
        """The logical id of the function whose handler lives in `handler_module`."""
        return next(s.logical_id for s in self._specs.values() if s.handler.startswith(handler_module + "."))

    def invoke_function(self, name: str, event: dict[str, Any]) -> tuple[Any, bool]:
        """Run a handler as Lambda would; an exception becomes Lambda's error payload."""
        context = LocalLambdaContext(name, self._specs[name].arn, str(uuid.uuid4()))
        try:
            self.faults.raise_for_handler(name)
            return self._handlers[name](event, context), False
        except Exception as error:  # noqa: BLE001 - every error is reported as Lambda reports it
            return {
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_tb(error.__traceback__),
            }, True

    def claim_task_token(self, token: str) -> bool:
        """True for the first result sent for a token; later ones are refused."""
        with self._token_lock:
            if token in self._claimed_tokens:
                return False
            self._claimed_tokens.add(token)
            return True

    def remember_task_token(self, token: str, execution_arn: str) -> None:
        """Note which execution issued a task token (seen in the invoke payload of a waiting task)."""
        with self._token_lock:
            self._token_executions[token] = execution_arn

    def task_timed_out(self, token: str) -> bool:
        """True once the task that issued `token` timed out (its history says TaskTimedOut)."""
        with self._token_lock:
            execution_arn = self._token_executions.get(token)
        if execution_arn is None:
            return False
        events = self._history_of(execution_arn)
        scheduled = [e["id"] for e in events if e["type"] == "TaskScheduled" and token in json.dumps(e, default=str)]
        return bool(scheduled) and any(e["type"] == "TaskTimedOut" and e["id"] > scheduled[0] for e in events)

    def release_task_token(self, token: str) -> None:
        with self._token_lock:
            self._claimed_tokens.discard(token)

    def execution_arn(self, ticket_id: str) -> str:
        prefix, name = self.state_machine_arn.split(":stateMachine:")
        return f"{prefix}:execution:{name}:{ticket_id}"

    def wait_for_execution(self, ticket_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The execution's description once it has stopped running."""
        deadline = time.monotonic() + timeout
        while True:
            described = self.sfn.describe_execution(executionArn=self.execution_arn(ticket_id))
            if described["status"] != "RUNNING":
                return dict(described)
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {ticket_id} still RUNNING after {timeout}s")
            time.sleep(0.02)

    def history(self, ticket_id: str) -> list[dict[str, Any]]:
        return self._history_of(self.execution_arn(ticket_id))

    def _history_of(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**request)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            request["nextToken"] = page["nextToken"]
