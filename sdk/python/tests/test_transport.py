"""Retries, error bodies and timeouts: the live gateway with faults injected in front of it."""

from __future__ import annotations

import unittest
import urllib.request
from typing import Any, Callable, List
from unittest import mock
from urllib.error import URLError

from helpers import decision, gateway, http_error, unique_action

from countersign import Client, CountersignError, CountersignNetworkError

real_urlopen = urllib.request.urlopen


class Faults:
    """Stands in for urlopen: each call takes the next fault (None passes the call through to the gateway)."""

    def __init__(self, *faults: Any) -> None:
        self.faults = list(faults)
        self.calls: List[urllib.request.Request] = []
        self.timeouts: List[float] = []

    def __call__(self, request: urllib.request.Request, timeout: float = 0) -> Any:
        self.calls.append(request)
        self.timeouts.append(timeout)
        fault = self.faults.pop(0) if self.faults else None
        if callable(fault):
            return fault(request, timeout)
        if fault is not None:
            raise fault
        return real_urlopen(request, timeout=timeout)


def lost_response(request: urllib.request.Request, timeout: float) -> Any:
    """The call reaches the gateway and is carried out, but the connection drops before the answer."""
    real_urlopen(request, timeout=timeout).close()
    raise ConnectionResetError(104, "Connection reset by peer")


class TransportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.env = gateway()

    def setUp(self) -> None:
        self.client = Client(self.env["url"], self.env["key"])
        self.sleeps: List[float] = []
        patcher = mock.patch("countersign.client.time.sleep", side_effect=self.sleeps.append)
        patcher.start()
        self.addCleanup(patcher.stop)

    def faults(self, *faults: Any) -> Faults:
        stand_in = Faults(*faults)
        patcher = mock.patch("urllib.request.urlopen", stand_in)
        patcher.start()
        self.addCleanup(patcher.stop)
        return stand_in

    def approved_token(self) -> str:
        result = self.client.request_approval(self.env["allowed_action"], "Refund", params={"amount": 3}, timeout=30)
        return result.grant["token"]

    def test_a_network_failure_is_retried_with_backoff(self) -> None:
        stand_in = self.faults(URLError(ConnectionRefusedError(111, "Connection refused")), URLError(TimeoutError("timed out")))
        page = self.client.list_requests(limit=1)
        self.assertIn("data", page)
        self.assertEqual(len(stand_in.calls), 3)
        self.assertEqual(len(self.sleeps), 2)
        self.assertTrue(all(0 <= s <= 8 for s in self.sleeps), self.sleeps)

    def test_a_lost_create_response_is_retried_without_a_second_request(self) -> None:
        action = unique_action()
        stand_in = self.faults(lost_response)
        created = self.client.create_request(action, "Refund $7", params={"amount": 7}, context=decision("wait"))
        self.assertEqual(len(stand_in.calls), 2)
        # Both attempts carried the same idempotency key, so the gateway answered the retry with the first request.
        keys = {request.get_header("Idempotency-key") for request in stand_in.calls}
        self.assertEqual(len(keys), 1)
        mine = [r for r in self.client.list_requests(limit=100)["data"] if r["action"] == action]
        self.assertEqual([r["id"] for r in mine], [created["id"]])
        self.client.cancel(created["id"])

    def test_503_and_429_are_retried_after_retry_after(self) -> None:
        url = self.env["url"] + "/api/v1/requests"
        unavailable = http_error(url, 503, {"type": "x", "title": "Service Unavailable", "status": 503, "detail": "db down", "code": "unavailable"}, {"Retry-After": "2"})
        limited = http_error(url, 429, {"type": "x", "title": "Too Many Requests", "status": 429, "detail": "slow down", "code": "rate_limited"}, {"Retry-After": "120"})
        stand_in = self.faults(unavailable, limited)
        self.client.list_requests(limit=1)
        self.assertEqual(len(stand_in.calls), 3)
        self.assertEqual(self.sleeps, [2.0, 30.0], "Retry-After is honoured, up to 30 s")

    def test_retries_give_up_after_the_configured_number(self) -> None:
        client = Client(self.env["url"], self.env["key"], retries=2)
        url = self.env["url"] + "/api/v1/requests"
        stand_in = self.faults(*[http_error(url, 502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}) for _ in range(3)])
        with self.assertRaises(CountersignError) as caught:
            client.list_requests()
        self.assertEqual(len(stand_in.calls), 3)
        error = caught.exception
        self.assertEqual((error.status, error.code), (502, "bad_gateway"))
        self.assertIn("not a Countersign problem response", str(error))
        self.assertEqual(error.detail, "<html>Bad Gateway</html>")

    def test_an_unreachable_gateway_is_a_network_error(self) -> None:
        client = Client(self.env["url"], self.env["key"], retries=1)
        reset = ConnectionResetError(104, "Connection reset by peer")
        self.faults(reset, reset)
        with self.assertRaises(CountersignNetworkError) as caught:
            client.list_requests()
        error = caught.exception
        self.assertIsInstance(error, CountersignError)
        self.assertEqual((error.status, error.code), (None, "network_error"))
        self.assertIs(error.__cause__, reset)
        self.assertIn("ConnectionResetError", str(error))

    def test_client_errors_are_never_retried(self) -> None:
        stand_in = self.faults()
        with self.assertRaises(CountersignError) as caught:
            Client(self.env["url"], "csk_nosuchkey_" + "y" * 43).list_requests()
        self.assertEqual(caught.exception.code, "unauthenticated")
        self.assertEqual(len(stand_in.calls), 1)
        self.assertEqual(self.sleeps, [])

    def test_a_redeem_that_may_have_arrived_is_not_retried(self) -> None:
        token = self.approved_token()
        stand_in = self.faults(lost_response)
        with self.assertRaises(CountersignError) as caught:
            self.client.redeem_grant(token)
        self.assertEqual(caught.exception.code, "network_error")
        self.assertEqual(len(stand_in.calls), 1)
        # It did arrive: the grant is used, which a blind retry would have reported as grant_already_redeemed.
        with self.assertRaises(CountersignError) as again:
            self.client.redeem_grant(token)
        self.assertEqual(again.exception.code, "grant_already_redeemed")

    def test_a_redeem_refused_unprocessed_is_retried_but_not_after_a_proxy_error(self) -> None:
        token = self.approved_token()
        url = self.env["url"] + "/api/v1/grants/redeem"
        unavailable = http_error(url, 503, {"type": "x", "title": "Service Unavailable", "status": 503, "detail": "db down", "code": "unavailable"}, {"Retry-After": "1"})
        stand_in = self.faults(unavailable, http_error(url, 504, b"upstream timed out"))
        with self.assertRaises(CountersignError) as caught:
            self.client.redeem_grant(token)
        self.assertEqual((caught.exception.status, caught.exception.code), (504, "gateway_timeout"))
        self.assertEqual(len(stand_in.calls), 2)
        self.client.redeem_grant(token)  # neither attempt reached the gateway: the grant is still unused

    def test_a_redeem_that_was_never_sent_is_retried(self) -> None:
        token = self.approved_token()
        stand_in = self.faults(URLError(ConnectionRefusedError(111, "Connection refused")))
        redemption = self.client.redeem_grant(token)
        self.assertEqual(len(stand_in.calls), 2)
        self.assertTrue(redemption["grant_id"].startswith("grt_"))
        self.assertIsNone(stand_in.calls[0].get_header("Authorization"), "redeeming needs no agent key")

    def test_a_cancel_or_outcome_whose_answer_was_lost_is_retried_and_recovered(self) -> None:
        action = unique_action()
        created = self.client.create_request(action, "Refund $8", params={"amount": 8}, context=decision("wait"))
        stand_in = self.faults(lost_response)
        cancelled = self.client.cancel(created["id"])
        self.assertEqual(cancelled["status"], "cancelled")
        self.assertEqual(len(stand_in.calls), 3, "the cancel, its retry (409), and the read that recovers it")

        result = self.client.request_approval(self.env["allowed_action"], "Refund", params={"amount": 9}, timeout=30)
        self.client.redeem_grant(result.grant["token"])
        stand_in = self.faults(lost_response)
        reported = self.client.report_outcome(result.request_id, "succeeded", "done")
        self.assertEqual(reported["outcome"]["status"], "succeeded")
        # A real conflict still raises: the outcome is already reported.
        with self.assertRaises(CountersignError) as caught:
            self.client.report_outcome(result.request_id, "failed")
        self.assertEqual(caught.exception.status, 409)

    def test_a_long_wait_outlasts_its_wait(self) -> None:
        stand_in = self.faults()
        created = self.client.request_approval(self.env["allowed_action"], "Refund", params={"amount": 4}, timeout=30)
        self.client.get_request(created.request_id, wait=45)
        self.assertGreater(stand_in.timeouts[-1], 45)

    def test_a_non_json_success_body_is_reported_clearly(self) -> None:
        class Response:
            status = 200
            headers: dict = {}

            def read(self) -> bytes:
                return b"<html>captive portal</html>"

            def __enter__(self) -> "Response":
                return self

            def __exit__(self, *exc: Any) -> None:
                pass

        answer: Callable[..., Any] = lambda request, timeout: Response()
        self.faults(answer)
        with self.assertRaises(CountersignError) as caught:
            self.client.list_requests()
        self.assertEqual(caught.exception.code, "unexpected_response")
        self.assertIn("not JSON", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
