"""Configuration from the environment, and the one-import module-level calls."""

from __future__ import annotations

import os
import unittest
from unittest import mock

from helpers import gateway, unique_action

import countersign
from countersign import Client


class EnvironmentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.env = gateway()

    def test_the_client_reads_the_url_and_key_from_the_environment(self) -> None:
        with mock.patch.dict(os.environ, {"COUNTERSIGN_URL": self.env["url"] + "/", "COUNTERSIGN_AGENT_KEY": self.env["key"]}):
            client = Client()
        self.assertEqual(client.url, self.env["url"])
        self.assertEqual(client.agent_key, self.env["key"])
        self.assertNotIn(self.env["key"], repr(client), "the key never shows in logs")
        self.assertIn("data", client.list_requests(limit=1))

    def test_explicit_arguments_win_over_the_environment(self) -> None:
        with mock.patch.dict(os.environ, {"COUNTERSIGN_URL": "http://elsewhere.invalid", "COUNTERSIGN_AGENT_KEY": "csk_other_key"}):
            client = Client(url=self.env["url"], agent_key=self.env["key"], timeout=5, retries=0)
        self.assertEqual((client.url, client.agent_key, client.timeout, client.retries), (self.env["url"], self.env["key"], 5, 0))

    def test_a_missing_url_or_key_is_a_clear_error(self) -> None:
        with mock.patch.dict(os.environ, clear=True):
            with self.assertRaisesRegex(ValueError, "COUNTERSIGN_URL"):
                Client()
            client = Client(self.env["url"])
            with self.assertRaisesRegex(ValueError, "COUNTERSIGN_AGENT_KEY"):
                client.list_requests()

    def test_module_level_calls_use_the_environment(self) -> None:
        with mock.patch.dict(os.environ, {"COUNTERSIGN_URL": self.env["url"], "COUNTERSIGN_AGENT_KEY": self.env["key"]}):
            result = countersign.request_approval(self.env["allowed_action"], "Refund $2", params={"amount": 2}, timeout=30)
            self.assertTrue(result.approved)

            ran = []

            @countersign.guard(unique_action("test.module"), describe=lambda amount: {"summary": f"Refund ${amount}", "params": {"amount": amount}}, timeout=30)
            def refund(amount: int) -> None:
                ran.append(amount)

            refund(3)
            self.assertEqual(ran, [3])

        # An executor has the gateway's URL and the grant, and no agent key.
        with mock.patch.dict(os.environ, {"COUNTERSIGN_URL": self.env["url"]}, clear=True):
            redemption = countersign.redeem_grant(result.grant["token"], action=self.env["allowed_action"], params={"amount": 2})
        self.assertEqual(redemption["request_id"], result.request_id)

    def test_a_module_level_guard_needs_no_configuration_until_it_is_called(self) -> None:
        with mock.patch.dict(os.environ, clear=True):

            @countersign.guard("payments.refund")
            def refund(amount: int) -> None:
                pass

            with self.assertRaisesRegex(ValueError, "COUNTERSIGN_URL"):
                refund(1)


if __name__ == "__main__":
    unittest.main()
