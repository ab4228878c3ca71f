"""Offline verification of grant signatures (optional: needs ``pip install 'countersign[verify]'``)."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from .errors import CountersignError, CountersignNetworkError

JWKS_PATH = "/.well-known/jwks.json"
INSTALL_HINT = "verify_grant needs PyJWT with its crypto extra: pip install 'countersign[verify]' (or pip install 'PyJWT[crypto]>=2.8')"

# One key client per JWKS URL: PyJWT caches the fetched key set in it.
_key_clients: Dict[str, Any] = {}


def verify_grant(
    token: str,
    jwks_url: Optional[str] = None,
    issuer: Optional[str] = None,
    audience: Optional[str] = None,
) -> Dict[str, Any]:
    """Checks a grant's Ed25519 signature against the gateway's JWKS and returns its claims.

    ``jwks_url`` defaults to ``$COUNTERSIGN_URL/.well-known/jwks.json``.
    ``issuer`` must equal the ``iss`` claim, the gateway's public URL; by
    default it is ``jwks_url`` without ``/.well-known/jwks.json`` (pass it
    when you reach the gateway by another address). ``audience`` defaults to
    ``countersign``; pass the rule's own if it sets one.

    This proves the gateway issued the grant and it has not expired; it does
    not consume it. Only ``redeem_grant`` guarantees that a grant is used
    once, so executors should redeem, and may verify as well.

    Raises ``ImportError`` when PyJWT is not installed, and ``CountersignError``
    with code ``grant_invalid`` when the token does not verify.
    """
    try:
        import jwt
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error

    if jwks_url is None:
        base = os.environ.get("COUNTERSIGN_URL")
        if not base:
            raise ValueError("no JWKS URL: pass jwks_url= or set COUNTERSIGN_URL")
        jwks_url = base.rstrip("/") + JWKS_PATH
    if issuer is None and jwks_url.endswith(JWKS_PATH):
        issuer = jwks_url[: -len(JWKS_PATH)]

    try:
        key_client = _key_clients.get(jwks_url)
        if key_client is None:
            key_client = _key_clients[jwks_url] = jwt.PyJWKClient(jwks_url)
        signing_key = key_client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=["EdDSA"],
            audience=audience or "countersign",
            issuer=issuer,
            options={"require": ["exp", "iat", "jti", "sub"]},
        )
    except getattr(jwt, "PyJWKClientConnectionError", ()) as error:
        raise CountersignNetworkError(f"could not fetch the gateway's keys from {jwks_url}: {error}") from error
    except jwt.PyJWKClientError as error:
        raise CountersignError(f"could not use the gateway's keys at {jwks_url}: {error}", code="grant_invalid") from error
    except jwt.InvalidTokenError as error:
        raise CountersignError(f"the grant does not verify: {error}", code="grant_invalid") from error
    return dict(claims)
