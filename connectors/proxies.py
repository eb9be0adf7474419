"""A requests.Session that reads the proxy environment once per host instead of on every call.

`requests` resolves `HTTP(S)_PROXY`/`ALL_PROXY`/`NO_PROXY` (and the CA bundle variables) from the
environment for every request it sends (`Session.merge_environment_settings`): a few milliseconds a
call in the HTTP benchmark. A connector talks to two or three hosts for its whole life, so the answer is
kept per (scheme, host, port, no_proxy): `no_proxy` is still honoured (it decides per host, and the
host is in the key), and so is a `proxies` argument given to a call or set on the session. The process
environment is read when a host is first called: a change to it later takes a new session (connectors
are rebuilt per run)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.utils import get_environ_proxies

if TYPE_CHECKING:
    from requests.sessions import _Settings


class EnvironmentOnceSession(requests.Session):
    """`requests.Session` with the environment's proxies and CA bundle resolved once per host."""

    def __init__(self) -> None:
        super().__init__()
        self._environ_proxies: dict[tuple[str, str, int | None, str | None], dict[str, str]] = {}
        self._ca_bundle: str | None = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")

    def proxies_for(self, url: str, no_proxy: str | None = None) -> dict[str, str]:
        """The environment's proxies for `url` (empty when `no_proxy`/`NO_PROXY` bypasses its host)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port, no_proxy)
        found = self._environ_proxies.get(key)
        if found is None:
            found = self._environ_proxies[key] = dict(get_environ_proxies(url, no_proxy=no_proxy))
        return found

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        if not self.trust_env or not isinstance(url, str):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        given = dict(proxies or {})
        for scheme, proxy in self.proxies_for(url, given.get("no_proxy")).items():
            given.setdefault(scheme, proxy)
        if verify is True or verify is None:
            verify = self._ca_bundle or verify
        merged = {**self.proxies, **given}  # requests' merge_setting: the call's wins, None drops it
        return {
            "proxies": {k: v for k, v in merged.items() if v is not None},
            "stream": self.stream if stream is None else stream,
            "verify": self.verify if verify is None else verify,
            "cert": self.cert if cert is None else cert,
        }
