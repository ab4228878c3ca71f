"""The shapes the gateway returns (see the HTTP contract), and the result of asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Literal, Optional, TypedDict

Status = Literal["pending", "approved", "denied", "expired", "cancelled"]


class Grant(TypedDict):
    id: str
    token: Optional[str]  # present to the owning agent while unredeemed and unexpired
    expires_at: str
    redeemed_at: Optional[str]


class Decision(TypedDict):
    status: str
    by: str
    reason: Optional[str]
    at: str


class Outcome(TypedDict):
    status: Literal["succeeded", "failed"]
    detail: Optional[str]
    at: str


class ApprovalRequest(TypedDict, total=False):
    """A request object, as ``GET /api/v1/requests/{id}`` returns it."""

    id: str
    agent_id: str
    action: str
    resource: Optional[str]
    params: Dict[str, Any]
    params_sha256: str
    # API 1.1: set when a reviewer amended the params before approving (``params`` then
    # holds the amended ones, which the grant binds); None when unamended.
    original_params: Optional[Dict[str, Any]]
    original_params_sha256: Optional[str]
    amended_by: Optional[str]
    summary: str
    justification: Optional[str]
    context: Dict[str, Any]
    status: Status
    policy: Optional[Dict[str, Any]]
    approvals: List[Dict[str, Any]]
    decision: Optional[Decision]
    created_at: str
    expires_at: str
    grant: Optional[Grant]
    outcome: Optional[Outcome]


class RequestPage(TypedDict):
    data: List[ApprovalRequest]
    next_cursor: Optional[str]


class Redemption(TypedDict):
    """What ``POST /api/v1/grants/redeem`` answers the first time; ``params`` are the approved ones."""

    grant_id: str
    request_id: str
    agent_id: str
    action: str
    resource: Optional[str]
    params: Dict[str, Any]
    redeemed_at: str


@dataclass(frozen=True)
class ApprovalResult:
    """Where a request stands after asking and waiting.

    ``status`` is ``"approved"`` (``grant["token"]`` is the one-time grant),
    ``"denied"`` (``reason`` says why), ``"expired"``, ``"cancelled"``, or
    ``"pending"`` when the wait timed out before anyone decided.
    """

    status: str
    request: ApprovalRequest
    grant: Optional[Grant] = None
    reason: Optional[str] = None

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def params(self) -> Dict[str, Any]:
        """The params as they stand; once approved, what the grant binds and the action must run with."""
        return self.request.get("params") or {}

    @property
    def amended(self) -> bool:
        """A reviewer changed the params before approving: run with ``params``, not what was asked."""
        return self.request.get("original_params") is not None

    @property
    def original_params(self) -> Optional[Dict[str, Any]]:
        """What the agent asked for, when a reviewer amended it; None otherwise."""
        return self.request.get("original_params")

    @property
    def request_id(self) -> str:
        return self.request["id"]

    @classmethod
    def from_request(cls, request: ApprovalRequest) -> "ApprovalResult":
        decision = request.get("decision") or None
        return cls(
            status=request["status"],
            request=request,
            grant=(request.get("grant") or None) if request["status"] == "approved" else None,
            reason=decision.get("reason") if decision else None,
        )
