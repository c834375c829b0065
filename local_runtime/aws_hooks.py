"""botocore event hooks that connect moto to the in-process handlers.

Registered once per process, before any client exists, in botocore's built-in
handler list (so every session, moto's own included, has them). They touch no
moto internals:

- `lambda.Invoke` runs the function's handler in-process and answers in the
  Lambda response shape (errors as `FunctionError: Unhandled`).
- `sfn.SendTaskSuccess` / `SendTaskFailure` complete a task token exactly once,
  as AWS does: moto accepts every call on a token, AWS only the first; and, as AWS
  does, they answer `TaskTimedOut` once the token's task has timed out (moto accepts it).
- `sesv2.SendEmail` copies each accepted email into the local outbox.
- Faults armed in `LocalRuntime.faults` (tests only) answer before moto acts.
  botocore calls every `before-send` handler, moto's stubber included, and uses
  the first answer; a throttled call must not also run in moto, so the fault
  check wraps moto's stubber instead of sitting beside it. `before-send` is
  inside botocore's retry loop, so botocore retries an injected throttle.
"""

from __future__ import annotations

import io
import json
import threading
import time
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.handlers import BUILTIN_HANDLERS
from botocore.response import StreamingBody

if TYPE_CHECKING:
    from .faults import Fault
    from .runtime import LocalRuntime

_install_lock = threading.Lock()
_installed = False
_active: LocalRuntime | None = None
_passthrough = threading.local()


def activate(runtime: LocalRuntime | None) -> None:
    """Route hooked calls to `runtime` (None: let every call through to moto)."""
    global _active
    _active = runtime


def install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        _wrap_moto_stubber()
        BUILTIN_HANDLERS.extend(
            [
                ("before-parameter-build.lambda.Invoke", _stash_params),
                ("before-call.lambda.Invoke", _invoke_in_process),
                ("before-parameter-build.sfn.SendTaskSuccess", _stash_params),
                ("before-parameter-build.sfn.SendTaskFailure", _stash_params),
                ("before-call.sfn.SendTaskSuccess", _complete_token_once),
                ("before-call.sfn.SendTaskFailure", _complete_token_once),
                ("after-call.sfn.SendTaskSuccess", _release_token_if_refused),
                ("after-call.sfn.SendTaskFailure", _release_token_if_refused),
                ("after-call-error.sfn.SendTaskSuccess", _release_token),
                ("after-call-error.sfn.SendTaskFailure", _release_token),
                ("before-parameter-build.sesv2.SendEmail", _stash_params),
                ("after-call.sesv2.SendEmail", _copy_to_outbox),
            ]
        )
        boto3.DEFAULT_SESSION = None  # a default session made earlier would miss the hooks
        _installed = True


class _FaultsBeforeMoto:
    """moto's `before-send` stubber, preceded by the runtime's injected faults."""

    def __init__(self, stubber: Any) -> None:
        self.stubber = stubber

    def __call__(self, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        runtime = _active
        if runtime is not None:
            _, service, operation = event_name.split(".", 2)
            fault = runtime.faults.take_call(service, operation)
            if fault is not None:
                return _fault_response(request.url, fault)
        return cast(AWSResponse | None, self.stubber(event_name, request, **kwargs))


def _wrap_moto_stubber() -> None:
    from moto.core.models import botocore_stubber

    for index, entry in enumerate(BUILTIN_HANDLERS):
        if entry[0] == "before-send" and entry[1] is botocore_stubber:
            BUILTIN_HANDLERS[index] = ("before-send", _FaultsBeforeMoto(botocore_stubber))
            return
    raise RuntimeError("moto's before-send stubber is not registered; the local runtime needs moto imported first")


class _Body(io.BytesIO):
    def stream(self, **_: Any) -> Any:
        yield self.read()


def _fault_response(url: str, fault: Fault) -> AWSResponse:
    """An error answer in the JSON protocols of the services faults target (rest-json)."""
    body = json.dumps({"__type": fault.code, "message": fault.message}).encode()
    headers = {"x-amzn-ErrorType": fault.code, "Content-Type": "application/json"}
    return AWSResponse(url, fault.status, headers, _Body(body))


def _stash_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["local_params"] = dict(params)


def _client_error(code: str, message: str, status: int = 400) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return AWSResponse("local://", status, {}, None), parsed


def _invoke_in_process(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    runtime = _active
    params = context.get("local_params", {})
    name = str(params.get("FunctionName", "")).split(":function:")[-1].split(":")[0]
    if runtime is None or not runtime.has_function(name):
        return None
    fault = runtime.faults.take_call("lambda", "Invoke", name)
    if fault is not None:  # Lambda itself failed: the handler never runs
        return _client_error(fault.code, fault.message, fault.status)
    raw = params.get("Payload") or b"{}"
    if hasattr(raw, "read"):
        raw = raw.read()
    payload = json.loads(raw)
    if isinstance(payload, dict) and payload.get("task_token") and payload.get("execution_id"):
        runtime.remember_task_token(str(payload["task_token"]), str(payload["execution_id"]))
    result, failed = runtime.invoke_function(name, payload)
    body = json.dumps(result).encode()
    response: dict[str, Any] = {
        "StatusCode": 200,
        "ExecutedVersion": "$LATEST",
        "Payload": StreamingBody(io.BytesIO(body), len(body)),
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }
    if failed:
        response["FunctionError"] = "Unhandled"
    return AWSResponse("local://", 200, {}, None), response


def _complete_token_once(context: dict[str, Any], model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    runtime = _active
    if runtime is None or getattr(_passthrough, "on", False):
        return None
    params = context.get("local_params", {})
    if not runtime.claim_task_token(params.get("taskToken", "")):
        context["local_refused"] = True
        return _client_error("TaskTimedOut", "Task Timed Out: the task already received its result.")
    if runtime.task_timed_out(params.get("taskToken", "")):
        context["local_refused"] = True  # the token stays claimed: a timed-out task never reopens
        return _client_error("TaskTimedOut", "Task Timed Out: the task timed out before this result arrived.")
    context["local_refused"] = True  # answered here: the after-call hook must not release it again
    try:
        parsed = _call_moto_with_retry(runtime, model.name, params)
    except ClientError as error:
        runtime.release_task_token(params.get("taskToken", ""))
        return AWSResponse(
            "local://", error.response["ResponseMetadata"].get("HTTPStatusCode", 400), {}, None
        ), error.response
    return AWSResponse("local://", 200, {}, None), parsed


def _call_moto_with_retry(runtime: LocalRuntime, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """moto 5.2.5 can raise AttributeError on SendTask* while another execution is starting; retry briefly."""
    method = getattr(runtime.sfn, "send_task_success" if operation == "SendTaskSuccess" else "send_task_failure")
    _passthrough.on = True
    try:
        for _ in range(100):
            try:
                return dict(method(**params))
            except AttributeError:
                time.sleep(0.01)
        return dict(method(**params))
    finally:
        _passthrough.on = False


def _release_token_if_refused(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    # Only an accepted result completes a token; a refused or failed call leaves it open.
    if http_response.status_code >= 300 and not context.get("local_refused"):
        _release_token(context)


def _release_token(context: dict[str, Any], **_: Any) -> None:
    runtime = _active
    if runtime is not None:
        runtime.release_task_token(context.get("local_params", {}).get("taskToken", ""))


def _copy_to_outbox(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    runtime = _active
    if runtime is None or http_response.status_code >= 300 or "MessageId" not in parsed:
        return
    runtime.outbox.record(context.get("local_params", {}), parsed["MessageId"])
