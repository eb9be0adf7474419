"""Every route of the app × every role, whatever pages are added later: an anonymous request goes to the
login page, a role without the route's permission gets 403, and a POST without its CSRF token gets 403.
The routes and their permissions are read from the app itself (the dependency each route declares)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI

from store.users import Role
from tests.web.conftest import WebClient
from web.app import DeclaredRoute
from web.permissions import Permission, allowed


def _routes(app: FastAPI) -> Iterator[tuple[str, str, Permission | None]]:
    declared: tuple[DeclaredRoute, ...] = app.state.declared_routes
    for route in declared:
        yield route.method, re.sub(r"\{[^}]+\}", "1", route.path), route.permission  # any parameter value


def test_every_route_refuses_the_anonymous_and_the_roles_without_its_permission(
    build_app: Callable[..., FastAPI], make_client: Callable[..., WebClient]
) -> None:
    app = build_app()
    clients = {role: make_client(role) for role in Role}
    anon = make_client()
    checked = 0
    for method, path, permission in _routes(app):
        if permission is None:
            continue
        assert anon.request(method, path).status_code == 303, (method, path)
        for role, client in clients.items():
            if allowed(role, permission):
                continue
            data = {"csrf_token": client.csrf}
            answer = client.request(method, path, data=data if method != "GET" else None)
            assert answer.status_code == 403, (method, path, role)
            assert "<form" not in answer.text.split("<main", 1)[1], (method, path, role)  # no action offered
        checked += 1
    assert checked >= 2  # logout and the language switch at least; each page added joins the walk


@pytest.mark.parametrize("role", list(Role))
def test_every_state_changing_route_needs_the_csrf_token(
    build_app: Callable[..., FastAPI], make_client: Callable[..., WebClient], role: Role
) -> None:
    client = make_client(role)
    for method, path, permission in _routes(build_app()):
        if method in {"GET", "HEAD"} or permission is None or not allowed(role, permission):
            continue
        answer = client.request(method, path, data={"note": "x"})
        assert answer.status_code == 403, (method, path, role)
