"""The app factory: `create_app(settings, engine)` wires the state, the middleware (sessions, security
headers), the error pages, the static files and every route module of web/routes/ROUTE_MODULES."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIRouter
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from config.settings import Settings
from store.db import Engine
from store.users import PasswordHashing, SqlUserStore
from web.auth import Forbidden, LoginRequired, session_middleware
from web.permissions import Permission
from web.rendering import is_htmx, render, template_environment
from web.routes import ROUTE_MODULES
from web.security import security_headers
from web.state import WebState

STATIC = Path(__file__).with_name("static")


class UndeclaredPermission(Exception):
    """A route without `Depends(require(...))` or `Depends(public)`: refused when the app is built."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = _utc_now,
    hashing: PasswordHashing | None = None,
    route_modules: tuple[str, ...] = ROUTE_MODULES,
) -> FastAPI:
    """The web app over `engine` (migrated to head). `clock` and `hashing` are for tests."""
    app = FastAPI(title="ledgerbridge", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = WebState(
        settings=settings,
        engine=engine,
        users=SqlUserStore(engine, clock=clock, hashing=hashing),
        clock=clock,
        templates=template_environment(),
    )
    app.middleware("http")(session_middleware)
    app.middleware("http")(security_headers)  # added last: outermost, so error pages carry the headers too
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    declared: list[DeclaredRoute] = []
    for name in route_modules:
        router = importlib.import_module(name).router
        if not isinstance(router, APIRouter):
            raise TypeError(f"{name}.router is not an APIRouter")
        declared += _check_declared(name, router)
        app.include_router(router)
    app.state.declared_routes = tuple(declared)
    return app


@dataclass(frozen=True)
class DeclaredRoute:
    """A route and the permission it declared (None: public). `app.state.declared_routes` lists them all
    (tests walk every route x role with it)."""

    method: str
    path: str
    permission: Permission | None


def _check_declared(module: str, router: APIRouter) -> list[DeclaredRoute]:
    found: list[DeclaredRoute] = []
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        declared = [d.call for d in route.dependant.dependencies if hasattr(d.call, "permission")]
        if len(declared) != 1:
            raise UndeclaredPermission(
                f"{module}: {sorted(route.methods or ())} {route.path} must declare exactly one of "
                f"Depends(require(Permission.X)) or Depends(public), found {len(declared)}"
            )
        permission = getattr(declared[0], "permission", None)
        found += [DeclaredRoute(method, route.path, permission) for method in sorted(route.methods or ())]
    return found


# ----------------------------------------------------------------------------- error pages


async def _to_login(request: Request, exc: Exception) -> Response:
    target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if is_htmx(request):  # htmx would swap the login page into a fragment: send the whole page there
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"error": "web.error.forbidden"}, status_code=403)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    key = "web.error.not_found" if status == 404 else "web.error.other"
    return render(request, "error.html", {"error": key}, status_code=status)


async def _bad_request(request: Request, exc: Exception) -> Response:
    """A malformed form or query: said in words, never echoing what was sent (it may be a password)."""
    return render(request, "error.html", {"error": "web.error.bad_request"}, status_code=400)
