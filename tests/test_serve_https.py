"""``serve`` over HTTPS beside HTTP: the official SDKs complete a PaymentIntent flow with certificate
verification on, trusting only the CA that ``--ca-out`` wrote (or the one a given certificate came from)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import requests
import stripe
import trustme

from served import Served

pytestmark = pytest.mark.slow  # real TLS, certificates made at start, and stripe-node

NODE_FLOW = Path(__file__).parent / "node" / "payment_intent_flow.js"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_tool(reason: str):
    """A system tool the test needs is absent: skipped on a user's machine, a failure in CI (.ci/run installs it)."""
    if in_ci():
        pytest.fail(f"{reason} (CI must have it: .ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def served_https(tmp_path_factory):
    ca = tmp_path_factory.mktemp("tls") / "ca.pem"
    with Served("--port", "0", "--https-port", "0", "--ca-out", str(ca)) as served:
        yield served, ca


def python_flow(base_url: str) -> stripe.PaymentIntent:
    client = stripe.StripeClient("sk_test_https", base_addresses={"api": base_url}, max_network_retries=0)
    intent = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "capture_method": "manual",
                                                      "payment_method_types": ["card"]})
    intent = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    intent = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1500})
    return client.v1.payment_intents.retrieve(intent.id)


def test_stripe_python_completes_a_flow_over_https_with_verification(served_https, monkeypatch):
    served, ca = served_https
    assert served.https.startswith("https://127.0.0.1:")
    monkeypatch.setattr(stripe, "ca_bundle_path", str(ca))  # verification stays on: only the CA changes
    intent = python_flow(served.https)
    assert (intent.status, intent.amount_received) == ("succeeded", 1500)
    # the same objects over plain HTTP
    over_http = requests.get(f"{served.http}/v1/payment_intents/{intent.id}", auth=("sk_test_https", ""), timeout=5)
    assert over_http.json()["status"] == "succeeded"


def test_verification_is_really_on_an_untrusted_ca_is_refused(served_https):
    served, _ = served_https
    with pytest.raises(stripe.APIConnectionError):
        python_flow(served.https)  # stripe's own CA bundle does not hold the made CA


def test_health_over_https(served_https):
    served, ca = served_https
    answer = requests.get(f"{served.https}/_conformance/health", verify=str(ca), timeout=5)
    assert answer.status_code == 200


@pytest.fixture(scope="module")
def stripe_node(tmp_path_factory) -> Path:
    """A directory where ``require('stripe')`` finds the official library, installed from npm."""
    if not (shutil.which("node") and shutil.which("npm")):
        missing_tool("node and npm are needed to run stripe-node (Debian packages nodejs, npm)")
    where = tmp_path_factory.mktemp("stripe-node")
    # A package.json of its own: npm installs here, and node reads the script as CommonJS whatever
    # package.json a parent directory (/tmp, say) happens to hold.
    (where / "package.json").write_text('{"private": true, "type": "commonjs"}\n')
    installed = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "stripe"], cwd=where,
                               capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    if installed.returncode != 0:
        missing_tool(f"npm install stripe failed: {installed.stderr.strip()[-500:]}")
    shutil.copy(NODE_FLOW, where)  # node finds modules from the script's own directory
    return where


def node_flow(where: Path, base_url: str, ca: Path | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "NODE_EXTRA_CA_CERTS"}
    if ca is not None:
        env["NODE_EXTRA_CA_CERTS"] = str(ca)  # trusted beside node's own CAs; verification stays on
    return subprocess.run(["node", NODE_FLOW.name, base_url], cwd=where, capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL)


def test_stripe_node_completes_a_flow_over_https_with_verification(served_https, stripe_node):
    served, ca = served_https
    result = node_flow(stripe_node, served.https, ca)
    assert result.returncode == 0, result.stderr
    intent = json.loads(result.stdout)
    assert (intent["status"], intent["amount_received"], intent["metadata"]) == ("succeeded", 1500, {"order": "7"})


def test_stripe_node_refuses_the_server_without_its_ca(served_https, stripe_node):
    served, _ = served_https
    result = node_flow(stripe_node, served.https, None)
    assert result.returncode == 1 and "StripeConnectionError" in result.stderr


def test_a_given_certificate_is_served(tmp_path):
    authority = trustme.CA()
    issued = authority.issue_cert("localhost", "127.0.0.1")
    cert, key, ca = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca))
    with Served("--port", "0", "--https-port", "0", "--cert", str(cert), "--key", str(key)) as served:
        answer = requests.get(f"{served.https}/v1/payment_intents", auth=("sk_test_given", ""), verify=str(ca),
                              timeout=5)
        assert answer.status_code == 200


def test_cert_name_adds_a_host_name_to_the_made_certificate(tmp_path):
    ca = tmp_path / "ca.pem"
    with Served("--port", "0", "--https-port", "0", "--ca-out", str(ca), "--cert-name", "stripe-mock") as served:
        port = int(served.https.rsplit(":", 1)[1])
        context = ssl.create_default_context(cafile=str(ca))
        for name in ("stripe-mock", "localhost"):  # as a compose service would be reached
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                    context.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.version()
        with pytest.raises(ssl.SSLCertVerificationError), socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            context.wrap_socket(raw, server_hostname="elsewhere.example")


def test_https_alone_defaults_to_12112_beside_12111():
    """The stripe-mock pair, when both ports are free here."""
    served = Served("--https")
    try:
        served.start()
    except RuntimeError:
        if any("already in use" in line for line in served.lines):
            pytest.skip(f"12111 or 12112 is taken on this machine (a stripe-mock?): {served.lines[-1]}")
        raise
    try:
        assert (served.http, served.https) == ("http://127.0.0.1:12111", "https://127.0.0.1:12112")
    finally:
        served.stop()
