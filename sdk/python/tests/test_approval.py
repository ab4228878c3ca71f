"""Asking, waiting, redeeming and reporting against the live gateway."""

from __future__ import annotations

import unittest
import uuid

from helpers import decision, gateway, unique_action

from countersign import ApprovalResult, Client, CountersignError, redeem_grant, verify_grant

PARAMS = {"amount": 500, "currency": "USD"}


class ApprovalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.env = gateway()
        cls.client = Client(cls.env["url"], cls.env["key"])

    def allowed(self, **overrides) -> ApprovalResult:
        options = {"resource": "customer:cus_123", "params": PARAMS, **overrides}
        return self.client.request_approval(self.env["allowed_action"], "Refund $500 to customer cus_123", timeout=30, **options)

    def test_an_allowed_action_is_approved_at_once_with_a_grant(self) -> None:
        seen = []
        result = self.allowed(on_pending=seen.append)
        self.assertTrue(result.approved)
        self.assertEqual(result.status, "approved")
        self.assertEqual(seen, [], "an allowed action never waits")
        self.assertTrue(result.grant and result.grant["token"])
        self.assertTrue(result.request["decision"]["by"].startswith("policy:"))
        self.assertEqual(result.request_id, result.request["id"])
        self.assertEqual(result.request["params"], PARAMS)

    def test_a_pending_request_waits_until_a_reviewer_approves(self) -> None:
        seen = []
        result = self.client.request_approval(
            "payments.refund",
            "Refund $500 to customer cus_123",
            resource="customer:cus_123",
            params=PARAMS,
            justification="Charged twice",
            context={"task_id": "ticket-1", "confidence": 0.9, **decision("approve")},
            timeout=30,
            on_pending=seen.append,
        )
        self.assertEqual(result.status, "approved")
        self.assertEqual([r["status"] for r in seen], ["pending"])
        self.assertEqual(seen[0]["id"], result.request_id)
        self.assertTrue(result.request["decision"]["by"].startswith("user:"))
        redemption = self.client.redeem_grant(result.grant["token"], action="payments.refund", params=PARAMS)
        self.assertEqual(redemption["request_id"], result.request_id)
        self.assertEqual(redemption["params"], PARAMS)

    def test_a_denial_comes_back_with_the_reviewers_reason(self) -> None:
        result = self.client.request_approval("payments.refund", "Refund $9000", params={"amount": 9000}, context=decision("deny"), timeout=30)
        self.assertEqual(result.status, "denied")
        self.assertFalse(result.approved)
        self.assertIsNone(result.grant)
        self.assertIn("Denied", result.reason or "")
        self.assertEqual(result.request["decision"]["reason"], result.reason)

    def test_a_timeout_leaves_the_request_pending_and_waiting_resumes(self) -> None:
        seen = []
        result = self.client.request_approval("payments.refund", "Refund $1", params={"amount": 1}, context=decision("wait"), timeout=0, on_pending=seen.append)
        self.assertEqual(result.status, "pending")
        self.assertEqual(len(seen), 1)
        self.assertFalse(result.approved)
        again = self.client.wait_for_decision(result.request_id, timeout=1)
        self.assertEqual(again.status, "pending")

        cancelled = self.client.cancel(result.request_id)
        self.assertEqual(cancelled["status"], "cancelled")
        final = self.client.wait_for_decision(result.request_id)
        self.assertEqual(final.status, "cancelled")
        with self.assertRaises(CountersignError) as caught:
            self.client.cancel(result.request_id)
        self.assertEqual((caught.exception.status, caught.exception.code), (409, "conflict"))

    def test_get_request_reads_a_request_and_long_waits_on_a_decided_one_at_once(self) -> None:
        created = self.allowed()
        read = self.client.get_request(created.request_id, wait=30)
        self.assertEqual(read["status"], "approved")
        self.assertEqual(read["id"], created.request_id)

    def test_list_requests_filters_and_pages(self) -> None:
        for _ in range(2):
            self.allowed()
        first = self.client.list_requests(status="approved", limit=1)
        self.assertEqual(len(first["data"]), 1)
        self.assertTrue(all(r["status"] == "approved" for r in first["data"]))
        self.assertIsNotNone(first["next_cursor"])
        second = self.client.list_requests(status="approved", limit=1, cursor=first["next_cursor"])
        self.assertEqual(len(second["data"]), 1)
        self.assertNotEqual(second["data"][0]["id"], first["data"][0]["id"])

    def test_the_same_idempotency_key_returns_the_same_request(self) -> None:
        key = f"python-{uuid.uuid4()}"
        action = unique_action()
        first = self.client.create_request(action, "Refund $5", params={"amount": 5}, context=decision("wait"), idempotency_key=key)
        second = self.client.create_request(action, "Refund $5", params={"amount": 5}, context=decision("wait"), idempotency_key=key)
        self.assertEqual(first["id"], second["id"])
        via_approval = self.client.request_approval(action, "Refund $5", params={"amount": 5}, context=decision("wait"), idempotency_key=key, timeout=0)
        self.assertEqual(via_approval.request_id, first["id"])
        with self.assertRaises(CountersignError) as caught:
            self.client.create_request(action, "Refund $6", params={"amount": 6}, context=decision("wait"), idempotency_key=key)
        self.assertEqual((caught.exception.status, caught.exception.code), (409, "conflict"))
        self.client.cancel(first["id"])

    def test_a_validation_error_names_the_field(self) -> None:
        with self.assertRaises(CountersignError) as caught:
            self.client.create_request("Not An Action!", "x")
        error = caught.exception
        self.assertEqual((error.status, error.code), (422, "validation_failed"))
        self.assertTrue(error.title and error.detail and error.type)
        self.assertTrue(any(e["path"] == "action" for e in error.errors), error.errors)
        self.assertIn("validation_failed", str(error))
        self.assertIn("action", str(error))

    def test_a_bad_key_is_unauthenticated(self) -> None:
        client = Client(self.env["url"], "csk_nosuchkey_" + "x" * 43)
        with self.assertRaises(CountersignError) as caught:
            client.list_requests()
        self.assertEqual((caught.exception.status, caught.exception.code), (401, "unauthenticated"))

    def test_an_unknown_request_is_not_found(self) -> None:
        with self.assertRaises(CountersignError) as caught:
            self.client.get_request("req_doesnotexist")
        self.assertEqual((caught.exception.status, caught.exception.code), (404, "not_found"))


class GrantTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.env = gateway()
        cls.client = Client(cls.env["url"], cls.env["key"])

    def approved_token(self, params=PARAMS) -> str:
        result = self.client.request_approval(self.env["allowed_action"], "Refund", params=params, timeout=30)
        self.assertTrue(result.approved)
        return result.grant["token"]

    def test_a_grant_redeems_once_then_already_redeemed(self) -> None:
        token = self.approved_token()
        # Executors redeem without an agent key.
        redemption = redeem_grant(token, action=self.env["allowed_action"], params=PARAMS, url=self.env["url"])
        self.assertEqual(redemption["action"], self.env["allowed_action"])
        self.assertEqual(redemption["params"], PARAMS)
        self.assertTrue(redemption["grant_id"].startswith("grt_"))
        with self.assertRaises(CountersignError) as caught:
            self.client.redeem_grant(token, action=self.env["allowed_action"], params=PARAMS)
        self.assertEqual((caught.exception.status, caught.exception.code), (409, "grant_already_redeemed"))

    def test_other_params_are_a_mismatch(self) -> None:
        token = self.approved_token()
        with self.assertRaises(CountersignError) as caught:
            self.client.redeem_grant(token, action=self.env["allowed_action"], params={"amount": 50000, "currency": "USD"})
        self.assertEqual((caught.exception.status, caught.exception.code), (422, "grant_mismatch"))
        # A refused redemption does not use the grant up.
        self.client.redeem_grant(token, action=self.env["allowed_action"], params=PARAMS)

    def test_a_forged_token_is_invalid(self) -> None:
        with self.assertRaises(CountersignError) as caught:
            self.client.redeem_grant("eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl")
        self.assertEqual((caught.exception.status, caught.exception.code), (401, "grant_invalid"))

    def test_verify_grant_checks_the_signature_or_says_how_to_install_pyjwt(self) -> None:
        token = self.approved_token()
        jwks = self.env["url"] + "/.well-known/jwks.json"
        try:
            import jwt  # noqa: F401
        except ImportError:
            with self.assertRaises(ImportError) as caught:
                verify_grant(token, jwks)
            self.assertIn("pip install 'countersign[verify]'", str(caught.exception))
            return
        claims = verify_grant(token, jwks)  # the issuer defaults to the gateway behind the JWKS URL
        self.assertEqual(claims["action"], self.env["allowed_action"])
        self.assertTrue(claims["jti"].startswith("grt_"))
        with self.assertRaises(CountersignError):
            verify_grant(token, jwks, issuer="https://someone-else.example")
        with self.assertRaises(CountersignError) as caught:
            verify_grant(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), jwks)
        self.assertEqual(caught.exception.code, "grant_invalid")


if __name__ == "__main__":
    unittest.main()
