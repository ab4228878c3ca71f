#!/usr/bin/env python3
"""A support agent that refunds a customer, but only once a person approves.

    COUNTERSIGN_URL=http://localhost:3000 COUNTERSIGN_AGENT_KEY=csk_... \\
        PYTHONPATH=sdk/python python3 examples/python/refund_agent.py

Optional: REFUND_CUSTOMER (default cus_123), REFUND_AMOUNT (default 500).
Exit codes: 0 refunded, 3 denied, 4 not decided (expired or cancelled), 1 error.

`guard` does the whole round trip: it asks, waits for the decision, redeems
the one-time grant for exactly these parameters, runs the function, and
reports the outcome. The function never runs without a redeemed grant.
"""

from __future__ import annotations

import os
import sys
import uuid

from countersign import ApprovalDenied, ApprovalNotGranted, CountersignError, guard

EXIT_DENIED = 3
EXIT_NOT_DECIDED = 4


def waiting(request: dict) -> None:
    url = os.environ["COUNTERSIGN_URL"].rstrip("/")
    print(f"Waiting for a reviewer to decide request {request['id']} ({url}/requests/{request['id']}).", flush=True)


@guard(
    "payments.refund",
    describe=lambda customer, amount: {
        "summary": f"Refund ${amount:.2f} to customer {customer} for a duplicate charge",
        "resource": f"customer:{customer}",
        "params": {"amount": amount, "currency": "USD"},
        "justification": "The customer was charged twice for the same order (ticket #4521).",
        "context": {"task_id": "ticket-4521", "environment": {"name": "demo"}},
    },
    on_pending=waiting,
)
def refund(customer: str, amount: float) -> str:
    # Runs only after the grant was redeemed for exactly this action and these params.
    print("Grant redeemed: this exact refund is approved, and only once. Refunding now.")
    refund_id = f"re_{uuid.uuid4().hex[:12]}"  # stands in for the payment provider's API
    print(f"Refunded ${amount:.2f} to customer {customer} (refund {refund_id}).")
    return refund_id


def main() -> int:
    if not os.environ.get("COUNTERSIGN_URL") or not os.environ.get("COUNTERSIGN_AGENT_KEY"):
        print("Set COUNTERSIGN_URL and COUNTERSIGN_AGENT_KEY (npm start prints the demo agent's key).", file=sys.stderr)
        return 1
    customer = os.environ.get("REFUND_CUSTOMER", "cus_123")
    raw_amount = os.environ.get("REFUND_AMOUNT", "500")
    amount = int(raw_amount) if raw_amount.isdigit() else float(raw_amount)

    print(f"Asking for approval to refund ${amount:.2f} to customer {customer}.", flush=True)
    try:
        refund(customer, amount)
    except ApprovalDenied as denied:
        print(f"Denied: {denied.reason or 'no reason given'}. Nothing was refunded.")
        return EXIT_DENIED
    except ApprovalNotGranted as not_granted:
        print(f"No approval: the request is {not_granted.status}. Nothing was refunded.")
        return EXIT_NOT_DECIDED
    except CountersignError as error:
        print(f"Countersign refused: {error}", file=sys.stderr)
        return 1
    print("Reported the outcome to Countersign: succeeded.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
