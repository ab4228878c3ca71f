"""The guard decorator against the live gateway: runs only when approved, reports how it went."""

from __future__ import annotations

import unittest
from typing import Any, Dict, List

from helpers import decision, gateway, unique_action

from countersign import ApprovalDenied, ApprovalNotGranted, Client


class GuardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.env = gateway()
        cls.client = Client(cls.env["url"], cls.env["key"])

    def only_request(self, action: str) -> Dict[str, Any]:
        mine = [r for r in self.client.list_requests(limit=100)["data"] if r["action"] == action]
        self.assertEqual(len(mine), 1, mine)
        return mine[0]

    def test_an_approved_call_runs_once_and_reports_success(self) -> None:
        action = unique_action("test.guard")
        calls: List[Any] = []

        @self.client.guard(
            action,
            describe=lambda customer, amount: {"summary": f"Refund ${amount} to {customer}", "resource": f"customer:{customer}", "params": {"amount": amount}},
            timeout=30,
        )
        def refund(customer: str, amount: int) -> str:
            calls.append((customer, amount))
            return f"refunded {amount}"

        self.assertEqual(refund("cus_1", 25), "refunded 25")
        self.assertEqual(calls, [("cus_1", 25)])
        self.assertEqual(refund.__name__, "refund")
        request = self.client.get_request(self.only_request(action)["id"])
        self.assertEqual(request["status"], "approved")
        self.assertEqual(request["resource"], "customer:cus_1")
        self.assertIsNotNone(request["grant"]["redeemed_at"])
        self.assertEqual(request["outcome"]["status"], "succeeded")

    def test_without_describe_the_arguments_are_the_params(self) -> None:
        action = unique_action("test.guard")

        @self.client.guard(action, timeout=30)
        def close_account(account: str, notify: bool = True) -> None:
            pass

        close_account("acc_9")
        request = self.only_request(action)
        self.assertEqual(request["params"], {"account": "acc_9", "notify": True})
        self.assertIn("close_account", request["summary"])

    def test_a_failing_call_reports_failure_and_re_raises(self) -> None:
        action = unique_action("test.guard")

        @self.client.guard(action, describe=lambda amount: {"summary": f"Refund ${amount}", "params": {"amount": amount}}, timeout=30)
        def refund(amount: int) -> None:
            raise RuntimeError("card network is down")

        with self.assertRaises(RuntimeError):
            refund(30)
        request = self.client.get_request(self.only_request(action)["id"])
        self.assertEqual(request["outcome"]["status"], "failed")
        self.assertEqual(request["outcome"]["detail"], "card network is down")

    def test_a_denied_call_raises_and_never_runs(self) -> None:
        action = unique_action("test.guard")
        calls: List[int] = []

        @self.client.guard(action, describe=lambda amount: {"summary": f"Refund ${amount}", "params": {"amount": amount}, "context": decision("deny")}, timeout=30)
        def refund(amount: int) -> None:
            calls.append(amount)

        with self.assertRaises(ApprovalDenied) as caught:
            refund(9000)
        self.assertEqual(calls, [])
        self.assertIsInstance(caught.exception, ApprovalNotGranted)
        self.assertEqual(caught.exception.status, "denied")
        self.assertIn("Denied", caught.exception.reason or "")
        self.assertEqual(caught.exception.request["status"], "denied")
        self.assertIsNone(self.client.get_request(caught.exception.request["id"])["outcome"])

    def test_a_call_nobody_decides_in_time_is_withdrawn_and_never_runs(self) -> None:
        action = unique_action("test.guard")
        calls: List[int] = []

        @self.client.guard(action, describe=lambda amount: {"summary": f"Refund ${amount}", "params": {"amount": amount}, "context": decision("wait")}, timeout=0)
        def refund(amount: int) -> None:
            calls.append(amount)

        with self.assertRaises(ApprovalNotGranted) as caught:
            refund(10)
        self.assertEqual(calls, [])
        self.assertEqual(caught.exception.status, "pending", "the caller's timeout ran out first")
        self.assertEqual(self.client.get_request(caught.exception.request["id"])["status"], "cancelled")

    def test_an_allowed_action_runs_without_waiting(self) -> None:
        @self.client.guard(self.env["allowed_action"], describe=lambda: {"summary": "Allowed by a rule", "params": {"amount": 1}})
        def act() -> str:
            return "done"

        self.assertEqual(act(), "done")

    def test_describe_must_return_a_summary_and_known_fields(self) -> None:
        @self.client.guard(unique_action("test.guard"), describe=lambda: {"params": {}})
        def no_summary() -> None:
            pass

        @self.client.guard(unique_action("test.guard"), describe=lambda: {"summary": "x", "amount": 1})
        def unknown_field() -> None:
            pass

        with self.assertRaisesRegex(TypeError, "summary"):
            no_summary()
        with self.assertRaisesRegex(TypeError, "amount"):
            unknown_field()

    def test_async_functions_are_refused_at_decoration(self) -> None:
        with self.assertRaisesRegex(TypeError, "synchronous"):

            @self.client.guard("payments.refund")
            async def refund() -> None:
                pass


if __name__ == "__main__":
    unittest.main()
