"""The supportflow stack on one machine, with no AWS account and no Docker.

`LocalRuntime` synthesizes the CDK app, creates the stack's resources in moto
(memory, signing secret, sender identity, state machine from the template's own
ASL), runs moto's Step Functions interpreter, and serves the API over local HTTP.
It wires its parts, which know nothing of it: the in-process functions
(lambda_host), the task-token ledger (task_tokens), the outbox, the botocore
hooks that connect them to moto (aws_hooks), the HTTP server (http_api), and
the interception points tests plug faults into (interception).

Everything it changes in the process (environment variables, botocore's
built-in handlers, moto's mock) it changes back on `stop()`, so a second
runtime can start in the same process.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Sequence
from typing import Any, Protocol

import boto3
from bedrock_agentcore.memory.controlplane import MemoryControlPlaneClient
from moto import mock_aws
from moto.core.config import DefaultConfig

from ticketing.adapters import aws_clients, signing_key
from ticketing.contract import Env

from . import agentcore_memory, asl_parsing, customer_systems
from .aws_hooks import BotocoreHooks
from .console.routes import Console
from .event_delivery import (
    DeliveryLedger,
    EventLog,
    EventRecorder,
    EventResources,
    QueuePoller,
    WebhookInbox,
    create_event_resources,
)
from .http_api import LocalHttpApi
from .interception import Interceptors
from .lambda_host import InProcessFunctions, LambdaHandler
from .outbox import Outbox
from .synth import synthesize
from .task_tokens import TaskTokenLedger
from .template import (
    ACCOUNT,
    REGION,
    Resolver,
    function_aliases,
    functions,
    only_resource,
    resources_of_type,
    state_machine_definition,
)

# Fast local defaults: retries that sleep for seconds in real time only slow a laptop.
# Offline by default: no model unless SUPPORTFLOW_MODEL_ID names one (see local_model_id).
# One webhook subscriber, always: the --webhook-url, else the built-in inbox (its local URL replaces this one).
LOCAL_CONTEXT: dict[str, Any] = {
    "retry_interval_seconds": 1,
    "model_id": "none",
    # Every step simulated unless asked ("resolution_executor": "catalog" runs the real executors against moto,
    # with customer_systems.py's user pool and tagged instances).
    "resolution_executor": "simulated",
    "webhook_urls": ["https://webhook-subscriber.local.invalid/"],
    "webhook_retry_base_seconds": 1,
    "webhook_max_attempts": 4,
    # Tickets end COMPLETED after the last step unless asked ("customer_confirmation": True asks the customer
    # "Is your issue resolved?"; the demo and the confirmation tests do).
    "customer_confirmation": False,
    # With "resolution_executor": "catalog", customer and engineer steps run simulated unless asked
    # ("person_steps": True emails the person a signed link and waits for their report, as deploys do).
    "person_steps": False,
}
WEBHOOK_INBOX_PATH = "/_local/webhook-inbox"
MODEL_ENV = "SUPPORTFLOW_MODEL_ID"


def local_model_id() -> str:
    """The Bedrock model the local stack's agents use: `SUPPORTFLOW_MODEL_ID`, else none (rules only).

    Setting it is the one step to real Bedrock from this machine: moto then lets
    bedrock-runtime calls through, signed with the user's own AWS credentials.
    """
    return os.environ.get(MODEL_ENV, "").strip() or "none"


class Emulation(Protocol):
    """A change to this process that makes moto behave like AWS (e.g. botocore hooks), undone on stop.

    Installed once moto's mock is active and before the stack's resources are
    created, so it sees every client the stack and its functions create;
    uninstalled in reverse order when the runtime stops, if this runtime installed it.
    """

    def install(self) -> bool:
        """True when this call installed it; False when it was in place already (its installer undoes it)."""
        ...

    def uninstall(self) -> None: ...


class LocalRuntime:
    def __init__(
        self,
        *,
        context: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        serve_http: bool = True,
        emulations: Sequence[Emulation] = (),
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self.context = {**LOCAL_CONTEXT, "model_id": local_model_id(), **(context or {})}
        self.outbox = Outbox()
        # Events the bus accepted (GET /_local/events), and each webhook delivery (GET /_local/webhooks).
        self.events = EventLog()
        self.webhook_secret = webhook_secret or secrets.token_urlsafe(32)
        self.webhook_inbox = WebhookInbox(self.webhook_secret.encode())
        self._webhook_url = webhook_url
        self.deliveries = DeliveryLedger([])
        self._pollers: list[QueuePoller] = []
        self.interceptors = Interceptors()
        self._functions = InProcessFunctions(self.interceptors)
        self._task_tokens = TaskTokenLedger(self._history_of)
        console = Console(self._functions.invoke_api, self.outbox, self)  # /_local/console: reads the stack when asked
        self._http = (
            LocalHttpApi(
                self._functions.invoke_api,
                self.outbox,
                host,
                port,
                console,
                events=self.events,
                deliveries=self.deliveries,
                inbox=self.webhook_inbox,
            )
            if serve_http
            else None
        )
        hooks = BotocoreHooks(
            functions=self._functions, task_tokens=self._task_tokens, outbox=self.outbox, interceptors=self.interceptors
        )
        # AgentCore Memory answers ListEvents and CreateEvent as AWS does (order, pages, filters, client tokens).
        # moto parses executions' definitions with shared state: one parse at a time (asl_parsing.py).
        self._emulations: list[Emulation] = [
            hooks,
            agentcore_memory,
            asl_parsing,
            EventRecorder(self.events),
            *emulations,
        ]
        self._installed: list[Emulation] = []
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}
        self.environment: dict[str, str] = {}
        self.template: dict[str, Any] = {}
        self.definition: dict[str, Any] = {}
        self.state_machine_arn = ""
        self.sfn: Any = None

    @property
    def base_url(self) -> str:
        return self._http.base_url if self._http else "http://127.0.0.1:8000"

    def start(self) -> LocalRuntime:
        try:
            self.template = synthesize(self.context)
            self._set_env({"AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})
            self._mock = mock_aws(config=self.mock_config())
            self._mock.start()  # also sets boto3.DEFAULT_SESSION aside until it stops
            aws_clients.reset_clients()
            signing_key.forget_keys()
            for emulation in self._emulations:
                if emulation.install():  # one installed around this runtime (emulated_memory()) stays
                    self._installed.append(emulation)
            resolver, event_resources = self._create_resources()
            self._load_functions(resolver)
            self._start_event_source_mappings(event_resources)
        except BaseException:
            self.stop()
            raise
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

    @property
    def webhook_url(self) -> str:
        """Where webhook deliveries go: the given URL, else the built-in inbox."""
        return self._webhook_url or f"{self.base_url}{WEBHOOK_INBOX_PATH}"

    def stop(self) -> None:
        if self._http:
            self._http.stop()
        while self._pollers:
            self._pollers.pop().stop()
        while self._installed:
            self._installed.pop().uninstall()
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

    def _create_resources(self) -> tuple[Resolver, EventResources]:
        """Create in moto what the functions and the state machine refer to."""
        template = self.template
        refs: dict[str, str] = {}
        attributes: dict[tuple[str, str], str] = {}

        memory_logical, memory = only_resource(template, "AWS::BedrockAgentCore::Memory")
        # Created as a user of the bedrock-agentcore SDK would, and waited for until ACTIVE.
        created = MemoryControlPlaneClient(region_name=REGION).create_memory(
            name=memory["Properties"]["Name"],
            event_expiry_days=memory["Properties"]["EventExpiryDuration"],
            description=memory["Properties"].get("Description"),
            wait_for_active=True,
            max_wait=30,
            poll_interval=1,
        )
        refs[memory_logical] = created["arn"]
        attributes[(memory_logical, "MemoryId")] = created["id"]
        attributes[(memory_logical, "MemoryArn")] = created["arn"]

        secret_values = {"ApprovalLinkSigningKey": secrets.token_urlsafe(48), "LifecycleEvents": self.webhook_secret}
        for secret_logical in resources_of_type(template, "AWS::SecretsManager::Secret"):
            value = next((v for prefix, v in secret_values.items() if secret_logical.startswith(prefix)), None)
            if value is None:
                raise ValueError(f"the local runtime does not know the secret {secret_logical}")
            refs[secret_logical] = boto3.client("secretsmanager", region_name=REGION).create_secret(
                Name=f"supportflow-local/{secret_logical}", SecretString=value
            )["ARN"]

        identity_logical, identity = only_resource(template, "AWS::SES::EmailIdentity")
        sender = identity["Properties"]["EmailIdentity"]
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=sender)
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=sender)
        refs[identity_logical] = sender

        refs.update(customer_systems.create_command_documents(template))

        api_logical, _ = only_resource(template, "AWS::ApiGateway::RestApi")
        refs[api_logical] = "local"

        for function in functions(template):
            refs[function.logical_id] = function.logical_id
            attributes[(function.logical_id, "Arn")] = function.arn
        refs.update(function_aliases(template))  # callers of a SnapStart function invoke its alias
        event_resources = create_event_resources(template, Resolver(refs, attributes))

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
        return Resolver(refs, attributes), event_resources

    def _load_functions(self, resolver: Resolver) -> None:
        """Give the process the functions' environment, then import each function's handler."""
        declared = functions(self.template)
        environment: dict[str, str] = {}
        for function in declared:
            for key, value in resolver.resolve(function.environment).items():
                if environment.setdefault(key, str(value)) != str(value):
                    raise ValueError(f"functions disagree on {key}; the local runtime shares one environment")
        environment["PUBLIC_BASE_URL"] = self.base_url
        if Env.WEBHOOK_URLS in environment:  # the local subscriber in place of the template's placeholder
            environment[Env.WEBHOOK_URLS] = json.dumps([self.webhook_url])
        # One JSON log line per invocation and EMF metric lines on stdout would bury the local story;
        # warnings and errors still print. Set before the handlers import Powertools.
        environment.update(POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="WARNING")
        self.environment = environment
        self._set_env(environment)
        self._functions.load(declared)

    def _start_event_source_mappings(self, resources: EventResources) -> None:
        """Lambda's SQS event source mappings: the webhook sender and the event republisher poll their queues."""
        sender = self._functions.function_named("ticketing.handlers.webhook_sender")
        self.deliveries.subscribers[:] = [self.webhook_url]
        for mapping in resources.mappings:
            observe = self.deliveries.attempted if mapping.function == sender else None
            poller = QueuePoller(mapping, self._functions.invoke, observe)
            self._pollers.append(poller)
            poller.start()

    def ticket_events(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's lifecycle events the bus accepted, in publication order (the console lists them)."""
        return [
            {
                "sequence": e.detail.get("sequence"),
                "detail-type": e.detail_type,
                "state": e.detail.get("state"),
                "time": e.time,
                "event id": e.event_id,
            }
            for e in self.events.events(ticket_id)
        ]

    def webhook_deliveries(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's webhook deliveries with their status and attempts (the console lists them)."""
        return [
            {k: v for k, v in d.view().items() if k not in ("ticket_id", "event_id", "first_attempt_at")}
            for d in self.deliveries.deliveries(ticket_id)
        ]

    def replace_handler(self, name: str, handler: LambdaHandler) -> None:
        """Run `handler` for the function `name` from now on (benchmarks, held steps in tests)."""
        self._functions.replace_handler(name, handler)

    def function_named(self, handler_module: str) -> str:
        """The logical id of the function whose handler lives in `handler_module`."""
        return self._functions.function_named(handler_module)

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
