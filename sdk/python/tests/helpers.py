"""What the suites share: the live gateway from the environment, and ways to steer the test reviewer.

The suites run against a real gateway (test/clients/python-sdk.test.ts starts
one) with a stand-in reviewer that decides each pending request of the agent
as its ``context.labels.test_decision`` says: approve (default), deny, or wait.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from email.message import Message
from typing import Any, Dict
from urllib.error import HTTPError

REQUIRED = ("COUNTERSIGN_URL", "COUNTERSIGN_AGENT_KEY", "COUNTERSIGN_TEST_ALLOWED_ACTION")


def gateway() -> Dict[str, str]:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        raise RuntimeError(
            f"these tests need a live gateway: set {', '.join(missing)} "
            "(npx vitest run --project integration test/clients/python-sdk.test.ts does)"
        )
    return {
        "url": os.environ["COUNTERSIGN_URL"],
        "key": os.environ["COUNTERSIGN_AGENT_KEY"],
        "allowed_action": os.environ["COUNTERSIGN_TEST_ALLOWED_ACTION"],
    }


def decision(wanted: str) -> Dict[str, Any]:
    """A request context that tells the test reviewer what to do."""
    return {"labels": {"test_decision": wanted}}


def unique_action(prefix: str = "test.python") -> str:
    """An action no other test uses, to find this test's requests in the agent's list."""
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


def http_error(url: str, status: int, body: Any, headers: Dict[str, str] = {}) -> HTTPError:
    """An HTTPError like urllib raises for an error status, for fault injection."""
    message = Message()
    for name, value in headers.items():
        message[name] = value
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPError(url, status, "error", message, io.BytesIO(raw))
