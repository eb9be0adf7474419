"""Connect a vendor account from the Connectors page (admin): `ledgerbridge connector authorize NAME`
in a browser, through the same code (sync/authorize.py, ADR 0033).

GET /connectors/{name}/authorize sends the admin to the vendor's consent page with a `state` that is
bound to the session: `<connector>.<expiry>.<nonce>.<HMAC-SHA256 under the session's CSRF token>`, so
it needs no server-side store (any replica checks it) and an answer started from another session, for
another connector, altered or older than STATE_LIFETIME is refused before any code is exchanged. The
vendor redirects to GET /connectors/authorize/callback (the redirect URI to register with the vendor's
app: `<this site>/connectors/authorize/callback`), which trades the code for tokens, stores them
encrypted, audits `connector.authorize` and returns to the Connectors page with a message.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Final
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from config.loader import ConfigError
from config.redaction import redact_text
from connectors.errors import ConnectorError
from connectors.oauth2 import CallbackError, authorization_url, parse_callback
from sync.authorize import authorizable, complete, target_of
from web.audit import audit
from web.auth import Principal, require
from web.permissions import Permission
from web.rendering import render
from web.state import web_state

log = structlog.get_logger(__name__)
router = APIRouter()

STATE_LIFETIME: Final = timedelta(minutes=15)
"""How long the consent may take: an older answer is refused."""
CALLBACK_PATH: Final = "/connectors/authorize/callback"


def _mac(csrf_token: str, payload: str) -> str:
    return hmac.new(csrf_token.encode(), payload.encode(), hashlib.sha256).hexdigest()


def make_state(csrf_token: str, connector: str, expires: int) -> str:
    """A state for `connector` that only this session (its CSRF token) can bring back until `expires`."""
    payload = f"{connector}.{expires}.{secrets.token_urlsafe(16)}"
    return f"{payload}.{_mac(csrf_token, payload)}"


def state_connector(csrf_token: str, state: str, now: int) -> str | None:
    """The connector a state was made for by this session, or None (altered, another session's, or
    expired)."""
    payload, _, mac = state.rpartition(".")
    connector, _, rest = payload.partition(".")
    expires = rest.partition(".")[0]
    if not (payload and mac and expires.isdigit()) or not hmac.compare_digest(mac, _mac(csrf_token, payload)):
        return None
    return connector if now <= int(expires) else None


def redirect_uri(request: Request) -> str:
    """Where the vendor sends the admin back (register it with the vendor's app)."""
    return str(request.url.replace(path=CALLBACK_PATH, query=None, fragment=None))


@router.get("/connectors/{name}/authorize")
def start(
    request: Request, who: Annotated[Principal, Depends(require(Permission.SECRETS_SET))], name: str
) -> Response:
    """Off to the vendor's consent page (a link, not a form: the page's CSP allows forms to post to this
    site only, and a GET that only starts a consent changes nothing)."""
    state = web_state(request)
    connector = next((c for c in state.settings.connectors if c.name == name), None)
    if connector is None:
        return render(request, "error.html", {"error": "web.error.not_found"}, status_code=404)
    if not authorizable(connector.kind):
        return _back(name, "unsupported")
    try:
        target = target_of(state.engine, state.settings, connector)
    except (ConfigError, ValueError) as exc:
        log.warning("web.authorize_config", connector=name, error=redact_text(str(exc)))
        return _back(name, "config")
    expires = int((state.clock() + STATE_LIFETIME).timestamp())
    url = authorization_url(target.app, redirect_uri(request), make_state(who.csrf_token, name, expires))
    return RedirectResponse(url, status_code=303)


@router.get(CALLBACK_PATH)
def callback(
    request: Request, who: Annotated[Principal, Depends(require(Permission.SECRETS_SET))]
) -> Response:
    """The vendor's redirect: check the state, trade the code, store the tokens, back to the page."""
    web = web_state(request)
    sent = request.query_params.get("state", "")
    name = state_connector(who.csrf_token, sent, int(web.clock().timestamp()))
    connector = next((c for c in web.settings.connectors if c.name == name), None)
    if name is None or connector is None or not authorizable(connector.kind):
        log.warning("web.authorize_bad_state", user=who.user.name)
        return _back(None, "state")
    try:
        target = target_of(web.engine, web.settings, connector)
        answer = parse_callback(request.url.query, sent, target.app.callback_fields)
        done = complete(
            web.engine,
            web.settings,
            connector,
            target,
            callback=answer,
            redirect_uri=redirect_uri(request),
            now=web.clock(),
        )
    except CallbackError as exc:
        log.warning("web.authorize_refused", connector=name, error=redact_text(str(exc)))
        return _back(name, "refused")
    except (ConfigError, ValueError) as exc:
        log.warning("web.authorize_config", connector=name, error=redact_text(str(exc)))
        return _back(name, "config")
    except ConnectorError as exc:
        log.warning("web.authorize_exchange_failed", connector=name, error=redact_text(str(exc)))
        return _back(name, "exchange")
    audit(request, who, "connector.authorize", {"connector": name})
    extra = {"realm": str(done.token.extra["realmId"])} if "realmId" in done.token.extra else {}
    if done.set_refresh is not None:
        extra["set_refresh"] = done.set_refresh
    return _back(name, "done", extra)


def _back(name: str | None, outcome: str, extra: dict[str, str] | None = None) -> Response:
    query = urlencode({"authorize": outcome, **({"connector": name} if name else {}), **(extra or {})})
    anchor = f"#connector-{name}" if name else ""
    return RedirectResponse(f"/connectors?{query}{anchor}", status_code=303)
