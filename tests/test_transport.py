"""The run's transport reads the environment as requests would, once per host, and never ~/.netrc."""

from __future__ import annotations

import requests

from conformance import transport
from conformance.transport import Transport

PROXY = "http://proxy.example:3128"


def _settings(session: requests.Session, url: str) -> dict:
    return session.merge_environment_settings(url, {}, None, None, None)


def test_proxies_and_the_ca_bundle_come_from_the_environment_as_requests_reads_them(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/bundle.pem")
    for url in ("https://api.stripe.com/v1/payment_intents", "http://127.0.0.1:12111/v1/payment_intents"):
        assert _settings(Transport(), url) == _settings(requests.Session(), url)
    assert _settings(Transport(), "https://api.stripe.com/v1/x")["proxies"]["https"] == PROXY
    assert _settings(Transport(), "https://api.stripe.com/v1/x")["verify"] == "/etc/ssl/bundle.pem"
    assert "https" not in _settings(Transport(), "http://127.0.0.1:12111/v1/x")["proxies"]  # NO_PROXY heeded


def test_the_environment_is_read_once_per_host(monkeypatch):
    reads = []
    monkeypatch.setattr(transport, "get_environ_proxies", lambda url: reads.append(url) or {})
    session = Transport()
    for path in ("payment_intents", "customers", "setup_intents"):
        _settings(session, f"http://127.0.0.1:12111/v1/{path}")
    _settings(session, "https://api.stripe.com/v1/customers")
    assert len(reads) == 2


def test_netrc_credentials_never_replace_the_key_a_request_carries(tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    request = requests.Request("GET", "http://127.0.0.1:12111/v1/customers", headers={"Authorization": "Bearer sk_x"})
    assert requests.Session().prepare_request(request).headers["Authorization"].startswith("Basic ")  # requests' way
    assert Transport().prepare_request(request).headers["Authorization"] == "Bearer sk_x"
    keyless = requests.Request("GET", "http://127.0.0.1:12111/v1/customers")
    assert "Authorization" not in Transport().prepare_request(keyless).headers
