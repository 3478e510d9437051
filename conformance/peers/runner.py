"""Run the suite against another Stripe mock: start it on a free port, wait, run, stop.

The peer is a program run in its own process, reached over HTTP like any target; its known
failures are a committed manifest (``targets/NAME.yaml``) and its latest results a committed
``targets/NAME.results.json``, from which the README's compliance table is generated.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from conformance.launcher import BundledServer
from conformance.reporting import gate as gates
from conformance.reporting import markdown
from conformance.reporting import results as model

CHECKOUT = Path(__file__).resolve().parents[2]


class PeerError(RuntimeError):
    pass


@dataclass(frozen=True)
class Peer:
    name: str  # names its files: targets/NAME.yaml, targets/NAME.results.json, the README region
    distribution: str  # the installed package (its version goes into reports)
    command: tuple[str, ...]  # "{port}" is replaced by the port to listen on
    suite_args: tuple[str, ...] = ()  # always given to the suite, before the caller's own arguments
    api_key: str = "sk_test_conformance_peer"
    other_api_key: str = "sk_test_conformance_peer_other"
    startup_timeout: float = 30.0

    @property
    def version(self) -> str | None:
        """The installed version, None when the peer is not installed."""
        try:
            return metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            return None

    @property
    def title(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name

    @property
    def manifest(self) -> Path:
        return Path("targets") / f"{self.name}.yaml"

    @property
    def results(self) -> Path:
        return Path("targets") / f"{self.name}.results.json"


class PeerProcess(BundledServer):
    """``with PeerProcess(peer) as running: running.base_url``: stopped like the bundled server."""

    def __init__(self, peer: Peer):
        super().__init__(startup_timeout=peer.startup_timeout)
        self.peer = peer

    def start(self) -> "PeerProcess":
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        command = [part.replace("{port}", str(port)) for part in self.peer.command]
        with tempfile.NamedTemporaryFile(prefix=f"{self.peer.name}-", suffix=".log", delete=False) as log:
            self.log_path = log.name
            # stdin is a pipe, as for the bundled server, whose stop() closes it
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.PIPE)
        try:
            self._wait_until_ready()
        except BaseException:  # as for the bundled server: nothing is left running
            self.stop()
            raise
        return self

    def _startup_error(self, what: str) -> Exception:
        return PeerError(f"{self.peer.title} {what}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_suite(peer: Peer, running: PeerProcess, report: Path, manifest: Path, extra: list[str]) -> int:
    """``stripe-conformance run`` against the running peer, from the checkout so paths in reports are relative."""
    command = [sys.executable, "-m", "conformance.cli", "run", "--base-url", running.base_url,
               "--api-key", peer.api_key, "--other-api-key", peer.other_api_key, "--target-name", peer.title,
               "--report", str(report), "--expect-failures", str(manifest), *peer.suite_args, *extra]
    print(f"{peer.title} on {running.base_url}: {' '.join(command[2:])}", file=sys.stderr, flush=True)
    return subprocess.call(command, cwd=CHECKOUT)


def update_committed(peer: Peer, report: Path, readme_path: Path) -> None:
    """Store a passing run's results as the peer's latest and regenerate its README table."""
    results = model.load(report / "results.json")
    if not results.gate.passed:
        raise PeerError("the run did not pass its manifest; nothing is updated:\n" + "\n".join(gates.explain(results)))
    shutil.copyfile(report / "results.json", CHECKOUT / peer.results)
    text = readme_path.read_text(encoding="utf-8")
    region = markdown.render_region(results, peer.name, peer.results.as_posix())
    readme_path.write_text(markdown.replace_region(text, peer.name, region), encoding="utf-8")
    print(f"updated {peer.results} and the {peer.name} table in {readme_path}", file=sys.stderr)


def main(peer: Peer, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m conformance.peers.{peer.name}",
                                     description=f"Run the suite against {peer.title}; arguments after -- go to "
                                                 f"stripe-conformance run (e.g. -- -k capture).")
    parser.add_argument("--report", default=f"reports/{peer.name}", help="report directory (default: %(default)s)")
    parser.add_argument("--manifest", default=str(CHECKOUT / peer.manifest), help="known failures (default: %(default)s)")
    parser.add_argument("--update", action="store_true",
                        help=f"after a passing run, store its results as {peer.results} and regenerate the "
                             f"README's {peer.name} table")
    args, extra = parser.parse_known_args(argv)
    extra = [arg for arg in extra if arg != "--"]
    report = Path(args.report).resolve()
    manifest = _relative(Path(args.manifest))
    if not (CHECKOUT / manifest).is_file():
        print(f"error: no manifest {manifest} (run from a source checkout, or pass --manifest)", file=sys.stderr)
        return 2
    if peer.version is None:
        print(f"error: {peer.title} is not installed: pip install -e '.[peers]'", file=sys.stderr)
        return 2
    try:
        with PeerProcess(peer) as running:
            status = run_suite(peer, running, report, manifest, extra)
        if args.update:
            update_committed(peer, report, CHECKOUT / "README.md")
    except PeerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return status


def _relative(path: Path) -> Path:
    """A path inside the checkout relative to it (reports show it), any other absolute."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(CHECKOUT)
    except ValueError:
        return absolute
