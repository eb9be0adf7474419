"""A real browser over the real app: Debian's chromium driven by Debian's chromedriver through Selenium,
against the app served by uvicorn on a free loopback port.

- `browser_or_reason()` — the chromium and chromedriver paths, or why there are none. `need_a_browser()`
  fails the test in CI (`.ci/run` installs both and sets LEDGERBRIDGE_REQUIRE_BROWSER=1; `CI=true` counts
  too: a missing browser there is a broken CI) and skips it elsewhere, with the reason and the apt command.
- `serve(app)` — the app on a uvicorn thread at 127.0.0.1:<free port>; yields its base URL.
- `Browser` — one headless chromium at 1366x768 with its console log kept (goog:loggingPrefs):
  `open(path)`, `login(name, password)`, `logout()`, `text()`, `find(css)`, `console_problems()`
  (CSP violations and script errors logged since the last call), `snapshot(name)` (a PNG in
  $LEDGERBRIDGE_SCREENSHOTS when set, for docs/web.md; nothing otherwise), `failure_shot()`.
- `open_browser(paths, base_url, workdir)` — a context manager around `Browser` for the test's body: when
  the body fails, a screenshot of the page it was on is saved under workdir and its path printed.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

WINDOW = (1366, 768)
SCREENSHOTS_ENV = "LEDGERBRIDGE_SCREENSHOTS"
WAIT_SECONDS = 10.0
APT = "apt-get install chromium chromium-driver"


@dataclass(frozen=True)
class BrowserPaths:
    chromium: str
    chromedriver: str


def browser_or_reason() -> BrowserPaths | str:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[test]'"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", chromedriver)) if not path]
    if missing or chromium is None or chromedriver is None:
        return f"{' and '.join(missing)} not found on PATH: {APT}"
    return BrowserPaths(chromium, chromedriver)


REQUIRE_ENV = "LEDGERBRIDGE_REQUIRE_BROWSER"
"""Set (to anything but empty or 0) by .ci/run: there a missing browser is a broken CI, not a skip."""


def in_ci() -> bool:
    """`.ci/run` (LEDGERBRIDGE_REQUIRE_BROWSER=1) or a CI service (CI=true, as GitHub Actions sets)."""
    required = os.environ.get(REQUIRE_ENV, "") not in {"", "0"}
    return required or os.environ.get("CI", "").lower() in {"true", "1", "yes"}


def need_a_browser() -> BrowserPaths:
    """The browser's paths; without one: a failure in CI, a skip (with the reason) elsewhere."""
    found = browser_or_reason()
    if isinstance(found, BrowserPaths):
        return found
    if in_ci():
        pytest.fail(f"the real-browser test cannot run in CI: {found} (.ci/run installs them)")
    pytest.skip(f"no browser for the real-browser test: {found}")


# ----------------------------------------------------------------------------- the app, served


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a thread at a free loopback port; yields `http://127.0.0.1:PORT`."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off", server_header=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="browser-test-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it listened"
        assert time.monotonic() < deadline, "uvicorn did not listen within 10 s"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(WAIT_SECONDS)


# ----------------------------------------------------------------------------- the browser


CSP_WORDS = ("Content Security Policy", "Content-Security-Policy")


class Browser:
    """One headless chromium session on the served app."""

    def __init__(self, paths: BrowserPaths, base_url: str, workdir: Path, lang: str = "en") -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service

        options = Options()
        options.binary_location = paths.chromium
        for flag in (
            "--headless=new",
            "--no-sandbox",  # CI runs as root in a container
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--lang={lang}",
            f"--user-data-dir={workdir / 'profile'}",
        ):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {"intl.accept_languages": lang})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=paths.chromedriver, log_output=str(workdir / "chromedriver.log"))
        self.driver = webdriver.Chrome(options=options, service=service)
        self.driver.set_window_size(*WINDOW)
        self.driver.implicitly_wait(0)
        self.base_url = base_url
        self.workdir = workdir
        self.logged: list[dict[str, Any]] = []

    # -- navigation

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)
        self.wait_for(self._loaded)

    def _loaded(self) -> bool:
        from selenium.common.exceptions import WebDriverException

        try:
            return bool(self.driver.execute_script("return document.readyState") == "complete")
        except WebDriverException:  # the page is being replaced: not yet
            return False

    def path(self) -> str:
        url: str = self.driver.current_url
        return url.removeprefix(self.base_url)

    def wait_for(self, condition: Any, what: str = "the page") -> Any:
        """`condition()`'s first true value; an element missing or replaced meanwhile (an htmx swap) is
        "not yet"."""
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
            TimeoutException,
        )
        from selenium.webdriver.support.ui import WebDriverWait

        waiting = WebDriverWait(
            self.driver,
            WAIT_SECONDS,
            poll_frequency=0.05,
            ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
        )
        try:
            return waiting.until(lambda _: condition())
        except TimeoutException:
            raise AssertionError(f"waited {WAIT_SECONDS:.0f} s for {what}; at {self.path()}") from None

    def click_and_load(self, element: Any) -> None:
        """Click something that loads a new page and wait until that page has loaded."""
        old = self.driver.find_element("tag name", "html")
        element.click()
        self.wait_for(lambda: _is_stale(old), "the next page")
        self.wait_for(self._loaded, "the next page to load")

    # -- reading

    def find(self, css: str) -> Any:
        return self.driver.find_element("css selector", css)

    def find_all(self, css: str) -> list[Any]:
        found: list[Any] = self.driver.find_elements("css selector", css)
        return found

    def text(self, css: str = "body") -> str:
        value: str = self.find(css).text
        return value

    def script(self, code: str) -> Any:
        return self.driver.execute_script(code)

    def console_problems(self) -> list[str]:
        """CSP violations and script errors the console logged since the last call."""
        entries = self.driver.get_log("browser")
        self.logged += entries
        problems = []
        for entry in entries:
            message = str(entry.get("message", ""))
            csp = any(word in message for word in CSP_WORDS)
            script = "Uncaught" in message or (entry.get("level"), entry.get("source")) == (
                "SEVERE",
                "javascript",
            )
            if csp or script:  # a missing favicon (a network entry) is neither
                problems.append(message)
        return problems

    # -- sessions

    def login(self, name: str, password: str) -> None:
        self.open("/login")
        self.find("input[name=username]").send_keys(name)
        self.find("input[name=password]").send_keys(password)
        self.click_and_load(self.find("form[action='/login'] button[type=submit]"))
        assert self.path() != "/login", f"login as {name} failed: {self.text('main')}"

    def logout(self) -> None:
        self.click_and_load(self.find("form[action='/logout'] button[type=submit]"))
        assert self.path().startswith("/login"), f"logout did not end at the login page: {self.path()}"

    # -- pictures

    def snapshot(self, name: str) -> Path | None:
        """The current page as docs/web/screenshots/<name>.png when $LEDGERBRIDGE_SCREENSHOTS names that
        directory (the docs' gallery is made this way); nothing otherwise, so CI writes nothing."""
        target = os.environ.get(SCREENSHOTS_ENV)
        if not target:
            return None
        directory = Path(target)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.png"
        self.driver.execute_script("window.scrollTo(0, 0)")
        self.driver.save_screenshot(str(path))
        return path

    def failure_shot(self) -> Path:
        path = self.workdir / "failure.png"
        self.driver.save_screenshot(str(path))
        return path

    def quit(self) -> None:
        self.driver.quit()


def _is_stale(element: Any) -> bool:
    """The element is gone with its page. Mid-navigation chromedriver may instead say the node "does not
    belong to the document" (gone as well) or fail otherwise (not yet: ask again)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.tag_name  # noqa: B018 - touching it is the check
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        return "does not belong to the document" in str(error.msg)
    return False


@contextmanager
def open_browser(paths: BrowserPaths, base_url: str, workdir: Path, lang: str = "en") -> Iterator[Browser]:
    """A Browser for the test's body (`with open_browser(...) as browser:`): when the body fails, the page
    it was on is saved as `workdir/failure.png` and the path printed (pytest shows it with the failure)."""
    workdir.mkdir(parents=True, exist_ok=True)
    browser = Browser(paths, base_url, workdir, lang=lang)
    try:
        yield browser
    except BaseException:
        print(f"browser test failed at {browser.path()}; screenshot: {browser.failure_shot()}")
        raise
    finally:
        browser.quit()
