"""Amend on approve: the approved params come back with an ``amended`` flag."""

from __future__ import annotations

import json
import unittest
from typing import Any, List

from helpers import gateway, unique_action

from countersign import ApprovalAmended, Client

# test/clients/python-sdk.test.ts adds a rule for this prefix that lets reviewers amend ``amount``.
AMENDABLE = "test.python_amend"


def amend(**changes: Any) -> dict:
    """A request context that tells the test reviewer to approve with these params changed."""
    return {"labels": {"test_amend": json.dumps(changes)}}


class AmendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.env = gateway()
        cls.client = Client(cls.env["url"], cls.env["key"])

    def test_an_amended_approval_gives_the_approved_params_and_says_so(self) -> None:
        action = unique_action(AMENDABLE)
        result = self.client.request_approval(action, "Refund 500", params={"amount": 500, "currency": "USD"}, context=amend(amount=450), timeout=30)
        self.assertTrue(result.approved)
        self.assertTrue(result.amended)
        self.assertEqual(result.params, {"amount": 450, "currency": "USD"})
        self.assertEqual(result.original_params, {"amount": 500, "currency": "USD"})
        redeemed = self.client.redeem_grant(result.grant["token"], action=action, params=result.params)
        self.assertEqual(redeemed["params"], {"amount": 450, "currency": "USD"})

    def test_an_unamended_approval_says_amended_false(self) -> None:
        action = unique_action(AMENDABLE)
        result = self.client.request_approval(action, "Refund 20", params={"amount": 20}, timeout=30)
        self.assertTrue(result.approved)
        self.assertFalse(result.amended)
        self.assertIsNone(result.original_params)
        self.assertEqual(result.params, {"amount": 20})

    def test_guard_does_not_run_an_amended_approval(self) -> None:
        action = unique_action(AMENDABLE)
        calls: List[Any] = []

        @self.client.guard(action, describe=lambda amount: {"summary": f"Refund {amount}", "params": {"amount": amount}, "context": amend(amount=1)}, timeout=30)
        def refund(amount: int) -> None:
            calls.append(amount)

        with self.assertRaises(ApprovalAmended) as caught:
            refund(500)
        self.assertEqual(caught.exception.params, {"amount": 1})
        self.assertEqual(calls, [])

    def test_guard_runs_an_amended_approval_with_the_approved_params_when_told_how(self) -> None:
        action = unique_action(AMENDABLE)
        calls: List[Any] = []

        @self.client.guard(
            action,
            describe=lambda amount, currency: {"summary": f"Refund {amount} {currency}", "params": {"amount": amount, "currency": currency}, "context": amend(amount=450)},
            timeout=30,
            with_approved_params=lambda params, args, kwargs: ((), {"amount": params["amount"], "currency": params["currency"]}),
        )
        def refund(amount: int, currency: str) -> str:
            calls.append((amount, currency))
            return "done"

        self.assertEqual(refund(500, "USD"), "done")
        self.assertEqual(calls, [(450, "USD")])


if __name__ == "__main__":
    unittest.main()
