"""Logging in and out, the start page, and the reader's language (ADR 0028)."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from reconcile.report.i18n import LANGS, Lang
from store.users import User
from web.auth import SESSION_COOKIE, Principal, public, require, set_session_cookie
from web.i18n import LANG_COOKIE
from web.permissions import Permission
from web.rendering import render
from web.state import WebState, client_address, web_state

log = structlog.get_logger(__name__)
router = APIRouter()

LOGIN_CSRF_COOKIE = "lb_login"
"""The login form's CSRF token, double-submitted: this cookie and the form field must agree."""
START = "/today"


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only (never `//host` or `https://...`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/", dependencies=[Depends(public)])
def start() -> RedirectResponse:
    return RedirectResponse(START, status_code=303)


@router.get("/login", dependencies=[Depends(public)])
def login_page(request: Request, next: str = "/", lang: str | None = None) -> Response:
    if getattr(request.state, "principal", None) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next, lang=lang)


@router.post("/login", dependencies=[Depends(public)])
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_form(request, next, error="web.login.expired", status_code=403)
    state = web_state(request)
    address = client_address(request)
    username = username.strip()
    if _throttled(state, username, address):
        log.warning("web.login_throttled", user=username, address=address)
        return _login_form(request, next, error="web.login.throttled", status_code=429, username=username)
    user = state.users.check_password(username, password) if username and password else None
    if user is None:
        state.users.record_failure(username, address, actor="anonymous", reason="bad_credentials")
        return _login_form(request, next, error="web.login.failed", status_code=401, username=username)
    return _logged_in(request, state, user, next)


@router.post("/logout")
def logout(request: Request, who: Annotated[Principal, Depends(require(Permission.SIGNED_IN))]) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        web_state(request).users.close_session(token, actor=who.user.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/lang")
def set_language(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.SIGNED_IN))],
    lang: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """The user's own language, kept with the user (audited like any change to a user)."""
    chosen = lang if lang in LANGS else None
    web_state(request).users.set_lang(who.user.name, chosen, actor=who.user.name)
    return RedirectResponse(safe_next(next), status_code=303)


# ----------------------------------------------------------------------------- helpers


def _throttled(state: WebState, username: str, address: str) -> bool:
    since = state.clock() - timedelta(minutes=state.web.login_window_minutes)
    by_user, by_address = state.users.recent_failures(username, address, since)
    return by_user >= state.web.login_failures_per_user or by_address >= state.web.login_failures_per_address


def _logged_in(request: Request, state: WebState, user: User, target: str) -> Response:
    """A new session (a new token: one planted before login is worth nothing after it), the old one ended."""
    state.users.clear_failures(user.name)
    token, _ = state.users.open_session(
        user, address=client_address(request), replaces=request.cookies.get(SESSION_COOKIE)
    )
    response = RedirectResponse(safe_next(target), status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _login_form(
    request: Request,
    target: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    username: str = "",
    lang: str | None = None,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    chosen: Lang | None = lang if lang in LANGS else None
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": safe_next(target), "error": error, "username": username},
        status_code=status_code,
        lang=chosen,
    )
    secure = request.url.scheme == "https"
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/login"
    )
    if chosen is not None:  # the choice made on the login page is kept until a user's own setting
        response.set_cookie(LANG_COOKIE, chosen, httponly=True, samesite="lax", secure=secure, path="/")
    return response
