"""What the SDK raises."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class CountersignError(Exception):
    """The gateway refused a call, or could not be reached.

    For answers from the gateway, the fields come from its RFC 9457 problem
    body: ``status`` (HTTP status), ``code`` (stable, e.g.
    ``validation_failed``, ``grant_already_redeemed``), ``title``, ``detail``
    and, for validation failures, ``errors`` (``[{"path", "message"}]``).

    An error answer that is not a problem document (a proxy's HTML page, say)
    gets a code from its status (``bad_gateway``, ``gateway_timeout``, …) and
    the start of the body in ``detail``; a success whose body is not JSON has
    code ``unexpected_response``. When the gateway could not be reached at
    all, the error is a ``CountersignNetworkError``.
    """

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: str = "unknown",
        title: Optional[str] = None,
        detail: Optional[str] = None,
        errors: Optional[List[Dict[str, str]]] = None,
        type: Optional[str] = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors: List[Dict[str, str]] = list(errors or [])
        self.type = type
        self.body = body


class CountersignNetworkError(CountersignError):
    """No answer from the gateway after every retry (refused, reset, timed out).

    ``status`` is ``None``, ``code`` is ``"network_error"``, and the last
    failure is the ``__cause__``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, code="network_error")


class ApprovalNotGranted(Exception):
    """No approval came: the request was denied, expired or cancelled, or the wait timed out.

    ``status`` is ``"denied"``, ``"expired"``, ``"cancelled"``, or ``"pending"``
    when the caller's timeout ran out first (``guard`` then withdraws the
    request); ``request`` is the request object as last seen.
    """

    def __init__(self, status: str, request: Dict[str, Any], message: Optional[str] = None) -> None:
        if message is None:
            if status == "pending":
                message = f"no decision on request {request.get('id')} in time"
            else:
                message = f"request {request.get('id')} was not approved: it is {status}"
        super().__init__(message)
        self.status = status
        self.request = request


class ApprovalAmended(Exception):
    """``guard`` got an approval whose params a reviewer amended: the function is not run
    with params nobody approved. ``params`` are the approved ones; the grant is left
    unredeemed, so the caller may run the amended action itself (``request_approval``
    then ``redeem_grant`` with ``params``)."""

    def __init__(self, request: Dict[str, Any]) -> None:
        super().__init__(
            f"request {request.get('id')} was approved with params amended by {request.get('amended_by') or 'a reviewer'}: "
            "guard does not run the function with params other than its arguments"
        )
        self.request = request
        self.params = request.get("params") or {}


class ApprovalDenied(ApprovalNotGranted):
    """A reviewer (or a rule) denied the request; ``reason`` says why."""

    def __init__(self, request: Dict[str, Any], reason: Optional[str]) -> None:
        because = f": {reason}" if reason else ""
        super().__init__("denied", request, f"request {request.get('id')} was denied{because}")
        self.reason = reason
