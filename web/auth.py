"""Sessions, permissions and CSRF in one place (ADR 0028).

Every request passes the session middleware, which finds the browser's server-side session (or, with
`web.trusted_header`, logs in the user a proxy names) and leaves a `Principal` or None on
`request.state.principal`. Every route then declares what it needs with exactly one dependency:
`Depends(require(Permission.X))` — a logged-in user holding X, and on a state-changing method a valid
CSRF token — or `Depends(public)`. `create_app` refuses a route that declares neither.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from store.users import User
from web.permissions import Permission, allowed
from web.state import TOUCH_AFTER, WebState, client_address, web_state

log = structlog.get_logger(__name__)

SESSION_COOKIE = "lb_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The logged-in user of this request and their session's CSRF token."""

    user: User
    csrf_token: str

    def can(self, permission: Permission | str) -> bool:
        return allowed(self.user.role, Permission(permission))


class LoginRequired(Exception):
    """No live session: the browser goes to the login page (htmx: told to by HX-Redirect)."""


class Forbidden(Exception):
    """A logged-in user without the permission, or a state-changing request without its CSRF token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def principal(request: Request) -> Principal | None:
    found: Principal | None = getattr(request.state, "principal", None)
    return found


# ----------------------------------------------------------------------------- the dependencies


def require(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """A route dependency: the request's Principal, who holds `permission`; on POST/PUT/PATCH/DELETE the
    session's CSRF token must come as the `csrf_token` form field or the X-CSRF-Token header (htmx sends
    the header from the body's hx-headers)."""

    async def dependency(request: Request) -> Principal:
        found = principal(request)
        if found is None:
            raise LoginRequired
        if not found.can(permission):
            raise Forbidden(f"needs {permission}")
        if request.method not in SAFE_METHODS:
            await check_csrf(request, found.csrf_token)
        return found

    dependency.permission = permission  # type: ignore[attr-defined]  # read by create_app's route check
    return dependency


async def public(request: Request) -> None:
    """A route dependency for pages anyone may reach (login, health). Says so explicitly."""


public.permission = None  # type: ignore[attr-defined]


async def check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("CSRF token missing or wrong")


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind in {"application/x-www-form-urlencoded", "multipart/form-data"}


# ----------------------------------------------------------------------------- the session middleware


async def session_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    state = web_state(request)
    token = request.cookies.get(SESSION_COOKIE)
    found, new_token = await run_in_threadpool(_resolve, state, request, token)
    request.state.principal = found
    response = await call_next(request)
    if new_token is not None:
        set_session_cookie(request, response, new_token)
    elif token and found is None and SESSION_COOKIE not in _cookies_set(response):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _resolve(state: WebState, request: Request, token: str | None) -> tuple[Principal | None, str | None]:
    """The session of the cookie, if live; with a trusted header, the proxy's user (a session opened for
    them when the cookie's is missing or someone else's). Returns (principal, a new token to set)."""
    session = (
        state.users.session(token, idle=state.idle, lifetime=state.lifetime, touch_after=TOUCH_AFTER)
        if token
        else None
    )
    header = state.web.trusted_header
    named = request.headers.get(header) if header else None
    if named is None:
        return (None if session is None else Principal(session.user, session.csrf_token)), None
    if session is not None and session.user.name == named:
        return Principal(session.user, session.csrf_token), None
    user = state.users.get(named)
    if user is None or not user.enabled:
        log.warning("web.trusted_header_refused", user=named, known=user is not None)
        return None, None
    new_token, csrf = state.users.open_session(
        user, address=client_address(request), replaces=token, detail={"method": "trusted_header"}
    )
    return Principal(user, csrf), new_token


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """HttpOnly, SameSite=Lax, Secure when the browser reached us over https (directly or, with
    --proxy-headers, through the proxy); no Max-Age: it ends with the browser or the idle timeout."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def _cookies_set(response: Response) -> set[str]:
    return {
        value.decode("latin-1").split("=", 1)[0]
        for name, value in response.raw_headers
        if name.lower() == b"set-cookie"
    }
