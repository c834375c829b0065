"""botocore event hooks that connect moto to the in-process functions, for as long as a runtime runs.

`BotocoreHooks.install()` adds them to botocore's built-in handler list, so every
session created afterwards (moto's and the functions' own) has them;
`uninstall()` takes them out again and leaves the list as it found it. Sessions
created in between keep the hooks, which then let every call through. They touch
no moto internals:

- `lambda.Invoke` runs the function's handler in-process and answers in the
  Lambda response shape (errors as `FunctionError: Unhandled`).
- `sfn.SendTaskSuccess` / `SendTaskFailure` complete a task token exactly once,
  as AWS does: moto accepts every call on a token, AWS only the first; and, as AWS
  does, they answer `TaskTimedOut` once the token's task has timed out (moto accepts it).
  A result sent while another is on its way to moto waits for that one's outcome
  (see task_tokens.py).
- `sesv2.SendEmail` copies each accepted email into the local outbox.
- Call interceptors (see interception.py) answer before moto acts. botocore calls
  every `before-send` handler, moto's stubber included, and uses the first answer;
  an intercepted call must not also run in moto, so the interceptors wrap moto's
  stubber instead of sitting beside it. `before-send` is inside botocore's retry
  loop, so botocore retries an intercepted throttle as it would AWS's.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any, Protocol, cast

from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from botocore.response import StreamingBody

from .interception import AwsCall, AwsError, Interceptors
from .lambda_host import Invocation
from .task_tokens import TaskTokenLedger

SEND_TASK_RESULT = ("SendTaskSuccess", "SendTaskFailure")
_CLAIMED_TOKEN = "local_claimed_token"  # in botocore's per-call context: the token this call holds in flight


class FunctionHost(Protocol):
    """The functions Lambda invokes: those it serves run in this process."""

    def serves(self, name: str) -> bool: ...

    def invoke(self, name: str, event: dict[str, Any]) -> Invocation: ...


class MailRecorder(Protocol):
    def record(self, request: dict[str, Any], message_id: str) -> None: ...


class BotocoreHooks:
    def __init__(
        self,
        *,
        functions: FunctionHost,
        task_tokens: TaskTokenLedger,
        outbox: MailRecorder,
        interceptors: Interceptors,
    ) -> None:
        self._functions = functions
        self._tokens = task_tokens
        self._outbox = outbox
        self._interceptors = interceptors
        self._live = False
        self._moto: Any = None
        self._in_front_of_moto: _InterceptorsBeforeMoto | None = None
        self._added: list[tuple[str, Any]] = []

    def install(self) -> bool:
        """Add the hooks (True: the runtime that installed them uninstalls them); refuse a second install."""
        from moto.core.models import botocore_stubber

        moto_entry = ("before-send", botocore_stubber)
        if moto_entry not in BUILTIN_HANDLERS:
            raise RuntimeError(
                "moto's before-send stubber is not in botocore's built-in handlers: "
                "is another local runtime running in this process?"
            )
        self._moto = botocore_stubber
        self._in_front_of_moto = _InterceptorsBeforeMoto(botocore_stubber, self)
        BUILTIN_HANDLERS[BUILTIN_HANDLERS.index(moto_entry)] = ("before-send", self._in_front_of_moto)
        self._added = [
            ("before-parameter-build.lambda.Invoke", _stash_params),
            ("before-call.lambda.Invoke", self._invoke_in_process),
            ("before-parameter-build.sesv2.SendEmail", _stash_params),
            ("after-call.sesv2.SendEmail", self._copy_to_outbox),
        ]
        for operation in SEND_TASK_RESULT:
            self._added += [
                (f"before-parameter-build.sfn.{operation}", _stash_params),
                (f"before-call.sfn.{operation}", self._complete_token_once),
                (f"after-call.sfn.{operation}", self._settle_token),
                (f"after-call-error.sfn.{operation}", self._release_token),
            ]
        BUILTIN_HANDLERS.extend(self._added)
        self._live = True
        return True

    def uninstall(self) -> None:
        self._live = False  # sessions that still hold the hooks now go straight to moto
        added = self._added
        BUILTIN_HANDLERS[:] = [
            ("before-send", self._moto) if entry[1] is self._in_front_of_moto else entry
            for entry in BUILTIN_HANDLERS
            if not any(entry is mine for mine in added)
        ]
        self._added = []

    @property
    def live(self) -> bool:
        return self._live

    def answer_before_moto(self, call: AwsCall) -> AwsError | None:
        return self._interceptors.answer(call) if self._live else None

    def _invoke_in_process(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        params = context.get("local_params", {})
        name = str(params.get("FunctionName", "")).split(":function:")[-1].split(":")[0]
        if not self._live or not self._functions.serves(name):
            return None
        error = self._interceptors.answer(AwsCall("lambda", "Invoke", name))
        if error is not None:  # Lambda itself failed: the handler never runs
            return _client_error(error.code, error.message, error.status)
        raw = params.get("Payload") or b"{}"
        if hasattr(raw, "read"):
            raw = raw.read()
        payload = json.loads(raw)
        if isinstance(payload, dict) and payload.get("task_token") and payload.get("execution_id"):
            self._tokens.remember_issuer(str(payload["task_token"]), str(payload["execution_id"]))
        result = self._functions.invoke(name, payload)
        body = json.dumps(result.payload).encode()
        response: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": StreamingBody(io.BytesIO(body), len(body)),
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
        if result.failed:
            response["FunctionError"] = "Unhandled"
        return AWSResponse("local://", 200, {}, None), response

    def _complete_token_once(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not self._live:
            return None
        token = context.get("local_params", {}).get("taskToken", "")
        if not self._tokens.claim(token):  # waits while another result for the token is in flight
            return _client_error("TaskTimedOut", "Task Timed Out: the task already received its result.")
        try:
            timed_out = self._tokens.timed_out(token)
        except BaseException:
            self._tokens.release(token)
            raise
        if timed_out:
            self._tokens.close(token)  # a timed-out task never reopens
            return _client_error("TaskTimedOut", "Task Timed Out: the task timed out before this result arrived.")
        context[_CLAIMED_TOKEN] = token
        return None  # the claimed result goes on to moto; the after-call hooks settle the claim

    def _settle_token(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # Only an accepted result closes a token; a call moto refused or that failed leaves it open.
        token = context.pop(_CLAIMED_TOKEN, None)
        if token is None:
            return
        if http_response.status_code < 300:
            self._tokens.close(token)
        else:
            self._tokens.release(token)

    def _release_token(self, context: dict[str, Any], **_: Any) -> None:
        token = context.pop(_CLAIMED_TOKEN, None)
        if token is not None:
            self._tokens.release(token)

    def _copy_to_outbox(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if not self._live or http_response.status_code >= 300 or "MessageId" not in parsed:
            return
        self._outbox.record(context.get("local_params", {}), parsed["MessageId"])


class _InterceptorsBeforeMoto:
    """moto's `before-send` stubber, preceded by the call interceptors."""

    def __init__(self, stubber: Any, hooks: BotocoreHooks) -> None:
        self.stubber = stubber
        self.hooks = hooks

    def __call__(self, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        _, service, operation = event_name.split(".", 2)
        error = self.hooks.answer_before_moto(AwsCall(service, operation))
        if error is not None:
            return _error_response(request.url, error)
        if self.hooks.live and service == "sfn" and operation in SEND_TASK_RESULT:
            return self._send_task_result(event_name, request, **kwargs)
        return cast(AWSResponse | None, self.stubber(event_name, request, **kwargs))

    def _send_task_result(self, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        """moto 5.2.5 can raise AttributeError on SendTask* while another execution is starting; retry briefly."""
        for _ in range(100):
            try:
                return cast(AWSResponse | None, self.stubber(event_name, request, **kwargs))
            except AttributeError:
                time.sleep(0.01)
        return cast(AWSResponse | None, self.stubber(event_name, request, **kwargs))


class _Body(io.BytesIO):
    def stream(self, **_: Any) -> Any:
        yield self.read()


def _error_response(url: str, error: AwsError) -> AWSResponse:
    """An error answer in the JSON protocols of the services the interceptors target (rest-json)."""
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    headers = {"x-amzn-ErrorType": error.code, "Content-Type": "application/json"}
    return AWSResponse(url, error.status, headers, _Body(body))


def _stash_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["local_params"] = dict(params)


def _client_error(code: str, message: str, status: int = 400) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return AWSResponse("local://", status, {}, None), parsed
