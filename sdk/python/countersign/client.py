"""The Countersign client: ask for approval, wait for the decision, redeem the grant, report the outcome."""

from __future__ import annotations

import functools
import http.client
import inspect
import json
import logging
import math
import os
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, TypeVar, cast

from .errors import ApprovalAmended, ApprovalDenied, ApprovalNotGranted, CountersignError, CountersignNetworkError
from .types import ApprovalRequest, ApprovalResult, Redemption, RequestPage

__version__ = "0.1.0"

USER_AGENT = f"countersign-python/{__version__}"
MAX_WAIT_SECONDS = 60  # the gateway holds a long-wait at most this long
WAIT_SLACK_SECONDS = 15  # a long-wait's socket timeout exceeds the wait by this much
MAX_RETRY_AFTER_SECONDS = 30.0
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0

# Codes for error answers that are not problem documents (the same as the TypeScript SDK's).
CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_failed",
    429: "rate_limited",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}

DESCRIPTION_FIELDS = frozenset(
    {"summary", "resource", "params", "justification", "context", "expires_in", "callback_url", "idempotency_key"}
)

log = logging.getLogger("countersign")

F = TypeVar("F", bound=Callable[..., Any])
Describe = Callable[..., Mapping[str, Any]]
# guard: (approved params, args, kwargs) -> (args, kwargs) to run an amended approval with.
WithApprovedParams = Callable[[Dict[str, Any], Tuple[Any, ...], Dict[str, Any]], Tuple[Tuple[Any, ...], Dict[str, Any]]]


class Client:
    """A client for one gateway and one agent.

    ``url`` and ``agent_key`` default to ``COUNTERSIGN_URL`` and
    ``COUNTERSIGN_AGENT_KEY``. ``timeout`` is the socket timeout of ordinary
    calls in seconds (long-waits get their wait plus a margin). ``retries``
    is how many times a call is retried after a network failure or a 429,
    502, 503 or 504, with exponential backoff and full jitter (``Retry-After``
    is honoured, up to 30 seconds).
    """

    def __init__(
        self,
        url: Optional[str] = None,
        agent_key: Optional[str] = None,
        timeout: float = 30.0,
        retries: int = 4,
    ) -> None:
        url = url or os.environ.get("COUNTERSIGN_URL")
        if not url:
            raise ValueError("no Countersign URL: pass url= or set COUNTERSIGN_URL (e.g. http://localhost:3000)")
        self.url = url.rstrip("/")
        self.agent_key = agent_key or os.environ.get("COUNTERSIGN_AGENT_KEY") or None
        self.timeout = timeout
        self.retries = retries

    def __repr__(self) -> str:
        return f"Client(url={self.url!r}, agent_key={'set' if self.agent_key else None!r})"

    # -- agent endpoints -----------------------------------------------------

    def create_request(
        self,
        action: str,
        summary: str,
        *,
        resource: Optional[str] = None,
        params: Optional[Mapping[str, Any]] = None,
        justification: Optional[str] = None,
        context: Optional[Mapping[str, Any]] = None,
        expires_in: Optional[int] = None,
        callback_url: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> ApprovalRequest:
        """Asks for approval once (``POST /api/v1/requests``) and returns the request as created.

        It is always sent with an idempotency key (a fresh UUID unless you pass
        one), so a retry after a lost response returns the same request
        instead of creating a second one.
        """
        body: Dict[str, Any] = {"action": action, "summary": summary}
        optional = {
            "resource": resource,
            "params": params,
            "justification": justification,
            "context": context,
            "expires_in": expires_in,
            "callback_url": callback_url,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        key = idempotency_key or str(uuid.uuid4())
        return cast(ApprovalRequest, self._call("POST", "/api/v1/requests", body=body, headers={"Idempotency-Key": key}))

    def get_request(self, id: str, wait: int = 0) -> ApprovalRequest:
        """Reads a request; with ``wait`` (1–60 s) the gateway holds the call until it leaves ``pending``."""
        wait = int(math.ceil(wait))
        path = f"/api/v1/requests/{_quote(id)}" + (f"?wait={wait}" if wait > 0 else "")
        # The socket must outlast the wait, or every long-wait would end as a timeout.
        timeout = max(self.timeout, wait + WAIT_SLACK_SECONDS)
        return cast(ApprovalRequest, self._call("GET", path, timeout=timeout))

    def list_requests(self, status: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> RequestPage:
        """This agent's requests, newest first: ``{"data": [...], "next_cursor": ...}``."""
        query = {k: v for k, v in {"status": status, "limit": limit, "cursor": cursor}.items() if v is not None}
        path = "/api/v1/requests" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        return cast(RequestPage, self._call("GET", path))

    def wait_for_decision(self, id: str, timeout: Optional[float] = None) -> ApprovalResult:
        """Long-waits until the request is decided, or ``timeout`` seconds pass (status ``pending`` then).

        Without a timeout it waits until a decision or the request's own expiry.
        """
        return self._wait(id, _deadline(timeout))

    def request_approval(
        self,
        action: str,
        summary: str,
        *,
        resource: Optional[str] = None,
        params: Optional[Mapping[str, Any]] = None,
        justification: Optional[str] = None,
        context: Optional[Mapping[str, Any]] = None,
        expires_in: Optional[int] = None,
        callback_url: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        on_pending: Optional[Callable[[ApprovalRequest], None]] = None,
    ) -> ApprovalResult:
        """Asks for approval and waits for the decision.

        Returns at once when a rule decides; otherwise calls ``on_pending``
        (if given) with the pending request and long-waits until a reviewer
        decides, the request expires, or ``timeout`` seconds pass (then the
        result's status is ``pending`` and ``wait_for_decision`` resumes).
        """
        deadline = _deadline(timeout)
        request = self.create_request(
            action,
            summary,
            resource=resource,
            params=params,
            justification=justification,
            context=context,
            expires_in=expires_in,
            callback_url=callback_url,
            idempotency_key=idempotency_key,
        )
        if request["status"] != "pending":
            return ApprovalResult.from_request(request)
        if on_pending is not None:
            on_pending(request)
        return self._wait(request["id"], deadline)

    def cancel(self, id: str) -> ApprovalRequest:
        """Withdraws a pending request (409 ``conflict`` once it is decided).

        A retried cancel whose first answer was lost still returns the cancelled request.
        """

        def recover() -> Optional[ApprovalRequest]:
            request = self.get_request(id)
            return request if request["status"] == "cancelled" else None

        return cast(ApprovalRequest, self._call("POST", f"/api/v1/requests/{_quote(id)}/cancel", body={}, recover_conflict=recover))

    def report_outcome(self, id: str, status: str, detail: Optional[str] = None) -> ApprovalRequest:
        """Reports how the approved action went: ``succeeded`` or ``failed``. Once per request."""
        body: Dict[str, Any] = {"status": status}
        if detail is not None:
            body["detail"] = detail

        def recover() -> Optional[ApprovalRequest]:
            request = self.get_request(id)
            outcome = request.get("outcome")
            return request if outcome and outcome["status"] == status else None

        return cast(ApprovalRequest, self._call("POST", f"/api/v1/requests/{_quote(id)}/outcome", body=body, recover_conflict=recover))

    # -- executor endpoint ---------------------------------------------------

    def redeem_grant(self, token: str, action: Optional[str] = None, params: Optional[Mapping[str, Any]] = None) -> Redemption:
        """Redeems a grant, exactly once, right before executing; needs no agent key.

        Pass the ``action`` and ``params`` you are about to execute: the
        gateway refuses them (``grant_mismatch``) unless they are the approved
        ones. Every later redemption is ``grant_already_redeemed``.
        """
        body: Dict[str, Any] = {"token": token}
        if action is not None:
            body["action"] = action
        if params is not None:
            body["params"] = params
        # Redemption is not idempotent: once a redeem may have reached the gateway, a retry could
        # only answer grant_already_redeemed about the redemption that succeeded. So it is retried
        # only when nothing can have been redeemed: a connection never opened, 429, or the
        # gateway's own 503 unavailable.
        return cast(Redemption, self._call("POST", "/api/v1/grants/redeem", body=body, auth=False, replay_safe=False))

    # -- guard ----------------------------------------------------------------

    def guard(
        self,
        action: str,
        describe: Optional[Describe] = None,
        *,
        timeout: Optional[float] = None,
        on_pending: Optional[Callable[[ApprovalRequest], None]] = None,
        with_approved_params: Optional[WithApprovedParams] = None,
    ) -> Callable[[F], F]:
        """Decorates a function so that it runs only with a human's (or a rule's) approval.

        ``describe`` receives the function's arguments and returns the
        request's ``summary``, ``params`` and optionally ``resource``,
        ``justification``, ``context``, ``expires_in``. Without it, the
        arguments by name are the params.

        Each call asks and waits; when approved it redeems the grant with the
        action and params, runs the function, and reports the outcome
        (``failed`` with the exception's message, which is re-raised). A
        denial raises ``ApprovalDenied``; expiry, cancellation or ``timeout``
        raise ``ApprovalNotGranted`` (a request still pending at the timeout
        is cancelled).

        When a reviewer amended the params before approving, the function runs
        only if ``with_approved_params`` says how: it receives the approved
        params and the call's ``args`` and ``kwargs`` and returns the
        ``(args, kwargs)`` to run with (the grant is redeemed for the approved
        params). Without it an amended approval raises ``ApprovalAmended``.
        """
        return _guard(lambda: self, action, describe, timeout, on_pending, with_approved_params)

    # -- transport ------------------------------------------------------------

    def _key(self) -> str:
        if not self.agent_key:
            raise ValueError("no agent key: pass agent_key= or set COUNTERSIGN_AGENT_KEY")
        return self.agent_key

    def _wait(self, id: str, deadline: Optional[float]) -> ApprovalResult:
        request = self.get_request(id, wait=_wait_seconds(deadline))
        while request["status"] == "pending":
            wait = _wait_seconds(deadline)
            if wait == 0:
                break
            request = self.get_request(id, wait=wait)
        return ApprovalResult.from_request(request)

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        auth: bool = True,
        timeout: Optional[float] = None,
        replay_safe: bool = True,
        recover_conflict: Optional[Callable[[], Any]] = None,
    ) -> Any:
        """One API call with retries.

        ``replay_safe`` calls (reads, creates with an idempotency key, cancel,
        outcome) are retried on network failures, 429, 502, 503 and 504; the
        others only when the gateway certainly did nothing. When a retry
        answers 409 after an earlier attempt may have been carried out,
        ``recover_conflict`` returns what the lost answer would have been
        (or None when the conflict is real).
        """
        url = self.url + path
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
        head = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if data is not None:
            head["Content-Type"] = "application/json"
        if auth:
            head["Authorization"] = f"Bearer {self._key()}"
        head.update(headers or {})

        may_have_landed = False  # whether an earlier attempt may have been carried out, its answer lost
        attempt = 0
        while True:
            last = attempt >= self.retries
            try:
                status, response_headers, raw = _send(method, url, data, head, timeout or self.timeout)
            except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets
                sent = not _never_sent(error)
                if last or (sent and not replay_safe):
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    raise CountersignNetworkError(f"no answer from Countersign at {self.url} ({method} {path}){tries}: {_describe(error)}") from error
                may_have_landed = may_have_landed or sent
                delay = _backoff(attempt)
            else:
                if status < 300:
                    return _parse_success(raw, method, path, status)
                problem = _problem(status, raw, method, path)
                # 429, and the gateway's own 503, are refusals before anything was done.
                refused_unprocessed = status == 429 or (status == 503 and problem.code == "unavailable")
                retryable = status in (429, 502, 503, 504) if replay_safe else refused_unprocessed
                if last or not retryable:
                    if status == 409 and may_have_landed and recover_conflict is not None:
                        recovered = recover_conflict()
                        if recovered is not None:
                            return recovered
                    raise problem
                may_have_landed = may_have_landed or not refused_unprocessed
                delay = _retry_after(response_headers.get("Retry-After")) if status in (429, 503) else None
                if delay is None:
                    delay = _backoff(attempt)
            attempt += 1
            log.debug("retrying %s %s in %.2fs (attempt %d)", method, path, delay, attempt + 1)
            time.sleep(delay)


def _send(method: str, url: str, data: Optional[bytes], headers: Mapping[str, str], timeout: float) -> Tuple[int, Any, bytes]:
    request = urllib.request.Request(url, data=data, headers=dict(headers), method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        # An HTTP error status is an answer, not a failure to reach the gateway.
        fp = error.fp
        try:
            raw = fp.read() if fp is not None else b""
        except (OSError, http.client.HTTPException):
            raw = b""  # a body cut short still leaves the status to report
        finally:
            if fp is not None:
                fp.close()
        return error.code, error.headers, raw


def _never_sent(error: BaseException) -> bool:
    """True when the call certainly did not reach the gateway (refused connection, unknown host)."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror))


def _describe(error: BaseException) -> str:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    text = str(reason)
    return f"{type(reason).__name__}: {text}" if text else type(reason).__name__


def _backoff(attempt: int) -> float:
    # Full jitter: a random delay up to an exponentially growing cap, so many
    # agents retrying after the same outage do not arrive together.
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2**attempt)))


def _retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _parse_success(raw: bytes, method: str, path: str, status: int) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        snippet = raw.decode("utf-8", "replace").strip()[:200]
        raise CountersignError(
            f"{method} {path} answered HTTP {status} with a body that is not JSON: {snippet!r}",
            status=status,
            code="unexpected_response",
            detail=snippet or None,
        ) from None


def _problem(status: int, raw: bytes, method: str, path: str) -> CountersignError:
    text = raw.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        code = body["code"]
        detail = body.get("detail")
        errors = body.get("errors") if isinstance(body.get("errors"), list) else []
        message = f"{status} {code}: {detail or body.get('title') or 'no detail'}"
        if errors:
            message += " (" + "; ".join(f"{e.get('path')}: {e.get('message')}" for e in errors if isinstance(e, dict)) + ")"
        return CountersignError(
            message,
            status=status,
            code=code,
            title=body.get("title"),
            detail=detail,
            errors=errors,
            type=body.get("type"),
            body=body,
        )
    # Not a problem document: most likely a proxy or load balancer answered.
    reason = http.client.responses.get(status, "")
    snippet = " ".join(text.split())[:200]
    return CountersignError(
        f"{method} {path} answered HTTP {status} {reason}, not a Countersign problem response"
        + (f": {snippet!r}" if snippet else " (empty body)"),
        status=status,
        code=CODE_BY_STATUS.get(status, "server_error" if status >= 500 else "http_error"),
        title=reason or None,
        detail=snippet or None,
        body=text,
    )


def _quote(id: str) -> str:
    return urllib.parse.quote(id, safe="")


def _deadline(timeout: Optional[float]) -> Optional[float]:
    return None if timeout is None else time.monotonic() + max(0.0, timeout)


def _wait_seconds(deadline: Optional[float]) -> int:
    """How long the next long-wait may hold: up to 60 s, never (much) past the deadline."""
    if deadline is None:
        return MAX_WAIT_SECONDS
    return min(MAX_WAIT_SECONDS, int(math.ceil(max(0.0, deadline - time.monotonic()))))


# -- guard ------------------------------------------------------------------


def _describe_call(action: str, fn: Callable[..., Any], describe: Optional[Describe], args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    if describe is not None:
        described = dict(describe(*args, **kwargs))
        unknown = set(described) - DESCRIPTION_FIELDS
        if unknown:
            raise TypeError(f"describe() for {action} returned unknown field(s): {', '.join(sorted(unknown))}")
        if not described.get("summary"):
            raise TypeError(f"describe() for {action} must return a summary")
        return described
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    params = dict(bound.arguments)
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return {"summary": f"{action}: {fn.__name__}({shown})"[:500], "params": params}


def _guard(
    client_for: Callable[[], Client],
    action: str,
    describe: Optional[Describe],
    timeout: Optional[float],
    on_pending: Optional[Callable[[ApprovalRequest], None]],
    with_approved_params: Optional[WithApprovedParams] = None,
) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):
            raise TypeError("countersign guard wraps synchronous functions; call request_approval and redeem_grant from async code")

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            client = client_for()
            described = _describe_call(action, fn, describe, args, kwargs)
            params = described["params"] = described.get("params") or {}
            result = client.request_approval(action, timeout=timeout, on_pending=on_pending, **described)
            if result.status == "pending":
                result = _withdraw(client, result)
            if result.status == "denied":
                raise ApprovalDenied(result.request, result.reason)
            if not result.approved:
                raise ApprovalNotGranted(result.status, result.request)

            if result.amended:
                if with_approved_params is None:
                    raise ApprovalAmended(result.request)
                # Run with what the reviewer approved, and redeem for exactly that.
                args, kwargs = with_approved_params(dict(result.params), args, dict(kwargs))
                params = result.params
            token = (result.grant or {}).get("token")
            if not token:
                # Only possible when the grant expired, or an idempotency key replayed a request whose grant was used.
                expired = not (result.grant or {}).get("redeemed_at")
                raise CountersignError(
                    f"request {result.request_id} was approved but its grant can no longer be redeemed",
                    status=410 if expired else 409,
                    code="grant_expired" if expired else "grant_already_redeemed",
                )
            # Redeemed right before running, bound to the action and params the call runs
            # with: a grant is used once, and only for what the reviewer saw.
            client.redeem_grant(token, action=action, params=params)
            try:
                value = fn(*args, **kwargs)
            except Exception as error:
                _report(client, result.request_id, "failed", str(error) or type(error).__name__)
                raise
            _report(client, result.request_id, "succeeded", None)
            return value

        return cast(F, guarded)

    return decorate


def _withdraw(client: Client, pending: ApprovalResult) -> ApprovalResult:
    """The caller stopped waiting and the function will not run, so the request is
    cancelled: reviewers should not be asked about work that will not happen. A
    decision may win the race; then it counts (an approval still runs the function)."""
    try:
        return ApprovalResult(status="pending", request=client.cancel(pending.request_id))
    except CountersignError as error:
        if error.status == 409:
            now = client.get_request(pending.request_id)
            if now["status"] != "pending":
                return ApprovalResult.from_request(now)
        log.warning("could not cancel request %s after the timeout: %s", pending.request_id, error)
        return pending


def _report(client: Client, id: str, status: str, detail: Optional[str]) -> None:
    # The action has already run (or failed): a lost report must not change what the caller sees.
    try:
        client.report_outcome(id, status, detail[:4000] if detail else None)
    except (CountersignError, ValueError) as error:
        log.warning("could not report outcome %s for %s: %s", status, id, error)


# -- one import and one call ------------------------------------------------


def request_approval(
    action: str,
    summary: str,
    *,
    resource: Optional[str] = None,
    params: Optional[Mapping[str, Any]] = None,
    justification: Optional[str] = None,
    context: Optional[Mapping[str, Any]] = None,
    expires_in: Optional[int] = None,
    callback_url: Optional[str] = None,
    idempotency_key: Optional[str] = None,
    timeout: Optional[float] = None,
    on_pending: Optional[Callable[[ApprovalRequest], None]] = None,
) -> ApprovalResult:
    """``Client().request_approval(...)`` with the gateway and key from the environment."""
    return Client().request_approval(
        action,
        summary,
        resource=resource,
        params=params,
        justification=justification,
        context=context,
        expires_in=expires_in,
        callback_url=callback_url,
        idempotency_key=idempotency_key,
        timeout=timeout,
        on_pending=on_pending,
    )


def guard(
    action: str,
    describe: Optional[Describe] = None,
    *,
    timeout: Optional[float] = None,
    on_pending: Optional[Callable[[ApprovalRequest], None]] = None,
    with_approved_params: Optional[WithApprovedParams] = None,
) -> Callable[[F], F]:
    """``Client().guard(...)``; the client is made from the environment at each call, not at import."""
    return _guard(Client, action, describe, timeout, on_pending, with_approved_params)


def redeem_grant(token: str, action: Optional[str] = None, params: Optional[Mapping[str, Any]] = None, url: Optional[str] = None) -> Redemption:
    """Redeems a grant at ``url`` (default ``COUNTERSIGN_URL``); executors need no agent key."""
    return Client(url=url).redeem_grant(token, action=action, params=params)
