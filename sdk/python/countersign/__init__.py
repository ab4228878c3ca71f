"""Countersign: ask a human before your agent acts.

    from countersign import request_approval, redeem_grant

    result = request_approval("payments.refund", "Refund $500 to cus_123", params={"amount": 500})
    if result.approved:
        redeem_grant(result.grant["token"], action="payments.refund", params={"amount": 500})
        ...  # now, and only now, do it

``COUNTERSIGN_URL`` and ``COUNTERSIGN_AGENT_KEY`` configure the default client;
make a ``Client`` to pass them explicitly.
"""

from .client import Client, __version__, guard, redeem_grant, request_approval
from .errors import ApprovalAmended, ApprovalDenied, ApprovalNotGranted, CountersignError, CountersignNetworkError
from .types import ApprovalRequest, ApprovalResult, Grant, Redemption, RequestPage
from .verify import verify_grant

__all__ = [
    "ApprovalAmended",
    "ApprovalDenied",
    "ApprovalNotGranted",
    "ApprovalRequest",
    "ApprovalResult",
    "Client",
    "CountersignError",
    "CountersignNetworkError",
    "Grant",
    "Redemption",
    "RequestPage",
    "__version__",
    "guard",
    "redeem_grant",
    "request_approval",
    "verify_grant",
]
