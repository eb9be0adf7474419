"""Logging in and out: redirects, refusals, throttling per user and per address, a new session id at
login, the idle timeout, CSRF on every state-changing request, and the trusted proxy header."""

from __future__ import annotations

from collections.abc import Callable

from store.audit_log import list_audit
from store.users import Role, SqlUserStore
from tests.conftest import FixedClock
from tests.web.conftest import PASSWORD, WebClient

PROBES = ("web.routes.session", "web.routes.health", "tests.web.probe_routes")


def test_an_unauthenticated_page_request_goes_to_the_login_page_and_back_after_it(
    make_client: Callable[..., WebClient],
) -> None:
    anon = make_client()
    answer = anon.get("/account/lang")  # any route that needs a user; GET is not even allowed there
    assert answer.status_code in {303, 405}
    answer = anon.post("/logout")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/logout"
    login = anon.login("rui", PASSWORD, next="/queue?status=open")
    assert login.status_code == 303
    assert login.headers["location"] == "/queue?status=open"


def test_an_unauthenticated_htmx_request_is_told_to_load_the_login_page(anon: WebClient) -> None:
    answer = anon.post("/logout", headers={"HX-Request": "true"})
    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"] == "/login?next=/logout"


def test_after_login_next_never_leaves_the_site(make_client: Callable[..., WebClient]) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        client = make_client()
        answer = client.login("rui", PASSWORD, next=target)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(anon: WebClient) -> None:
    wrong = anon.login("rui", "not the password")
    unknown = anon.login("nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name or password." in wrong.text
    assert "not the password" not in wrong.text  # the password is never echoed
    assert anon.session_token is None


def test_logins_are_throttled_per_user_name_even_from_other_addresses(
    make_client: Callable[..., WebClient], user_store: SqlUserStore, web_clock: FixedClock
) -> None:
    for attempt in range(5):  # web.login_failures_per_user defaults to 5
        client = make_client(client=(f"10.0.0.{attempt}", 1000))
        assert client.login("rui", "guess").status_code == 401
    fresh = make_client(client=("10.0.1.1", 1000))
    refused = fresh.login("rui", PASSWORD)  # the right password, but the name is locked for now
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.text
    assert make_client(client=("10.0.1.1", 1000)).login("ada", PASSWORD).status_code == 303  # others: fine
    web_clock.advance(minutes=16)  # the window moved past the failures
    assert make_client(client=("10.0.1.1", 1000)).login("rui", PASSWORD).status_code == 303


def test_logins_are_throttled_per_address_across_user_names(make_client: Callable[..., WebClient]) -> None:
    guesser = make_client(client=("192.0.2.7", 4000))
    for attempt in range(20):  # web.login_failures_per_address defaults to 20
        assert guesser.login(f"user{attempt}", "guess").status_code == 401
    assert guesser.login("rui", PASSWORD).status_code == 429
    assert make_client(client=("192.0.2.8", 4000)).login("rui", PASSWORD).status_code == 303


def test_a_successful_login_clears_its_users_failures(
    make_client: Callable[..., WebClient], user_store: SqlUserStore, web_clock: FixedClock
) -> None:
    client = make_client()
    for _ in range(4):
        client.login("rui", "guess")
    assert client.login("rui", PASSWORD).status_code == 303
    assert user_store.recent_failures("rui", "nowhere", web_clock.now.replace(year=2000)) == (0, 0)


def test_login_issues_a_new_session_id_and_the_one_planted_before_is_worth_nothing(
    make_client: Callable[..., WebClient],
) -> None:
    attacker = make_client(Role.VIEWER)
    planted = attacker.session_token  # a live session id, planted in the victim's browser
    assert planted
    victim = make_client()
    victim.plant_cookie("lb_session", planted)
    victim.plant_cookie("lb_login", "form-token", path="/login")
    answer = victim.post(
        "/login", data={"username": "rui", "password": PASSWORD, "csrf_token": "form-token", "next": "/"}
    )
    assert answer.status_code == 303
    renewed = victim.session_token
    assert renewed
    assert renewed != planted
    assert attacker.post("/logout").headers["location"].startswith("/login")  # the planted one ended


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_over_https(
    make_client: Callable[..., WebClient],
) -> None:
    plain = make_client().login("rui", PASSWORD).headers["set-cookie"]
    assert "lb_session=" in plain
    assert "httponly" in plain.lower()
    assert "samesite=lax" in plain.lower()
    assert "secure" not in plain.lower()
    tls = make_client(base_url="https://testserver").login("rui", PASSWORD).headers["set-cookie"]
    assert "secure" in tls.lower()


def test_a_session_idle_past_the_timeout_ends(reviewer: WebClient, web_clock: FixedClock) -> None:
    web_clock.advance(minutes=29)
    kept = reviewer.post_form("/account/lang", {"lang": "en", "next": "/x"})
    assert kept.status_code == 303
    assert kept.headers["location"] == "/x"
    web_clock.advance(minutes=29)
    assert reviewer.post_form("/account/lang", {"lang": "en"}).status_code == 303
    token = reviewer.session_token
    web_clock.advance(minutes=31)  # web.session_idle_minutes defaults to 30
    over = reviewer.post("/account/lang", data={"lang": "en", "csrf_token": "x"})
    assert over.status_code == 303
    assert over.headers["location"].startswith("/login")
    assert token is not None
    assert reviewer.session_token is None


def test_a_state_changing_request_without_its_csrf_token_is_refused(
    build_app: Callable[..., object], user_store: SqlUserStore, web_users: dict[Role, object]
) -> None:
    client = WebClient(build_app(route_modules=PROBES), user_store)  # type: ignore[arg-type]
    client.login("rui", PASSWORD)
    assert client.post("/probe/act", data={"note": "x"}).status_code == 403
    assert client.post("/probe/act", data={"note": "x", "csrf_token": "forged"}).status_code == 403
    assert client.post("/probe/act", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post_form("/probe/act", {"note": "x"}).status_code == 200
    assert client.htmx_post("/probe/act", {"note": "y"}).status_code == 200


def test_the_login_form_itself_needs_its_csrf_token(anon: WebClient) -> None:
    answer = anon.post("/login", data={"username": "rui", "password": PASSWORD, "csrf_token": "x"})
    assert answer.status_code == 403
    assert anon.session_token is None


def test_logout_ends_the_session_on_the_server(make_client: Callable[..., WebClient]) -> None:
    client = make_client(Role.REVIEWER)
    token = client.session_token
    answer = client.post_form("/logout")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    replay = make_client()
    replay.plant_cookie("lb_session", token or "")
    assert replay.post("/logout").headers["location"].startswith("/login")


def test_a_disabled_user_cannot_log_in_and_loses_open_sessions(
    make_client: Callable[..., WebClient], user_store: SqlUserStore
) -> None:
    client = make_client(Role.REVIEWER)
    user_store.disable("rui", actor="boss")
    assert client.post("/logout").headers["location"].startswith("/login")
    assert make_client().login("rui", PASSWORD).status_code == 401


def test_logins_failures_and_logouts_are_audited_with_the_web_user_as_actor(
    make_client: Callable[..., WebClient],
    web_engine: object,
    build_app: Callable[..., object],
    user_store: SqlUserStore,
) -> None:
    make_client().login("rui", "guess")
    client = WebClient(build_app(route_modules=PROBES), user_store)  # type: ignore[arg-type]
    client.login("rui", PASSWORD)
    client.post_form("/probe/act", {"note": "checked"})
    client.post_form("/logout")
    entries = [(e.actor, e.action, dict(e.detail)) for e in reversed(list_audit(web_engine))]  # type: ignore[arg-type]
    actions = [(actor, action) for actor, action, _ in entries if action.startswith(("web.", "probe."))]
    assert actions == [
        ("anonymous", "web.login_failed"),
        ("rui", "web.login"),
        ("rui", "probe.act"),
        ("rui", "web.logout"),
    ]
    act = next(detail for _, action, detail in entries if action == "probe.act")
    assert act == {"note": "checked", "via": "web", "address": "testclient"}


def test_a_trusted_proxy_header_logs_its_user_in_only_when_configured(
    build_app: Callable[..., object],
    user_store: SqlUserStore,
    web_users: dict[Role, object],
    web_settings: object,
) -> None:
    off = WebClient(build_app(), user_store)  # type: ignore[arg-type]
    assert off.post("/logout", headers={"X-Forwarded-User": "ada"}).status_code == 303
    assert off.session_token is None

    from web.app import create_app

    settings = web_settings.model_copy(
        update={"web": web_settings.web.model_copy(update={"trusted_header": "X-Forwarded-User"})}
    )  # type: ignore[attr-defined]
    app = create_app(settings, user_store._engine, clock=user_store._clock)
    on = WebClient(app, user_store)
    answer = on.get("/nowhere", headers={"X-Forwarded-User": "ada"})
    assert answer.status_code == 404
    assert "ada" in answer.text
    assert on.session_token is not None
    assert on.get("/nowhere", headers={"X-Forwarded-User": "nobody"}).text.count("Log out") == 0
