"""``stripe-conformance``: run the suite against a target, serve the reference server, list scenarios."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from importlib import resources

from conformance import __version__

SUITE_PACKAGE = "conformance.suite"

RUN_OPTIONS = [
    # (flag, environment variable, help) - each is handed to the pytest plugin under the same name
    ("--base-url", "STRIPE_BASE_URL", "target server; without it the bundled reference server is started"),
    ("--api-key", "STRIPE_API_KEY", "secret API key for the target"),
    ("--publishable-key", "STRIPE_PUBLISHABLE_KEY", "publishable key of the same account"),
    ("--other-api-key", "STRIPE_OTHER_API_KEY", "secret key of a second account (isolation scenarios)"),
    ("--features", "STRIPE_CONFORMANCE_FEATURES", "only scenarios with one of these comma-separated tags"),
    ("--skip-features", "STRIPE_CONFORMANCE_SKIP_FEATURES", "leave out scenarios with any of these tags"),
]


SCENARIO_COMMANDS = {
    "check": "validate scenario files (check --help); one line per problem, exit 1 if any",
    "export": "write every scenario, setups and cases expanded, as plain JSON (export --help)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stripe-conformance", description=__doc__)
    parser.add_argument("--version", action="version", version=f"stripe-conformance {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the suite (extra arguments go to pytest: -k, -x, --junitxml, -n)")
    for flag, env, help_text in RUN_OPTIONS:
        run.add_argument(flag, default=os.environ.get(env), help=f"{help_text} [env: {env}]")
    run.add_argument("--timeout", type=float, default=float(os.environ.get("STRIPE_CONFORMANCE_TIMEOUT", 10)),
                     help="seconds to wait for each answer [env: STRIPE_CONFORMANCE_TIMEOUT] (default 10)")

    # serve's options (--host, --port, --db, ...) belong to the server, which parses them itself
    commands.add_parser("serve", add_help=False, help="run the bundled reference server (a stateful Stripe mock); "
                        "serve --help lists its options")

    commands.add_parser("list", help="list the scenarios: id, features, title")
    for name, help_text in SCENARIO_COMMANDS.items():  # their options belong to conformance.check
        commands.add_parser(name, add_help=False, help=help_text)

    from conformance.reporting import commands as reporting  # gate, suggest, check-manifest: stored results

    reporting.add_parsers(commands)

    args, extra = parser.parse_known_args(argv)
    if args.command in SCENARIO_COMMANDS:
        from conformance import check

        return check.main(args.command, extra)
    if args.command == "run":
        return run_suite(args, extra)
    if args.command == "serve":
        from reference_impl.serve import main as serve_main  # the server is only loaded to serve it

        return serve_main(extra, prog="stripe-conformance serve")
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command in reporting.USER_COMMANDS:
        return reporting.run(args)
    return list_scenarios()


def run_suite(args: argparse.Namespace, extra: list[str]) -> int:
    import pytest

    from conformance.launcher import BundledServer, LaunchError
    from conformance.target import probe

    server = None
    # SIGTERM ends the run like Ctrl-C does, through the cleanup below.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if args.base_url:
            reason = probe(args.base_url, timeout=min(5.0, args.timeout))
            if reason:
                print(f"stripe-conformance: cannot use target {args.base_url}: {reason}", file=sys.stderr)
                return 2
        else:
            try:
                server = BundledServer().start()
            except LaunchError as exc:
                print(f"stripe-conformance: {exc}", file=sys.stderr)
                return 2
            print(f"stripe-conformance: bundled reference server on {server.base_url}", file=sys.stderr)
        return pytest.main(pytest_arguments(args, server, extra))
    except KeyboardInterrupt:  # pytest handles its own; this is one outside it (probing, starting the server)
        print("stripe-conformance: interrupted", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()
        signal.signal(signal.SIGTERM, previous)


def pytest_arguments(args: argparse.Namespace, server, extra: list[str]) -> list[str]:
    from conformance.launcher import DEFAULT_OTHER_SECRET_KEY, DEFAULT_SECRET_KEY

    ini = resources.files(SUITE_PACKAGE).joinpath("pytest.ini")
    arguments = ["-c", str(ini), "--rootdir", str(resources.files(SUITE_PACKAGE)), "--pyargs", SUITE_PACKAGE,
                 "--target-timeout", str(args.timeout)]
    values = {flag: getattr(args, flag[2:].replace("-", "_")) for flag, _, _ in RUN_OPTIONS}
    if server is not None:
        values["--base-url"] = server.base_url
        values["--api-key"] = values["--api-key"] or DEFAULT_SECRET_KEY
        values["--other-api-key"] = values["--other-api-key"] or DEFAULT_OTHER_SECRET_KEY
    for flag, value in values.items():
        if value:
            arguments += [flag, value]
    return arguments + extra


def list_scenarios() -> int:
    from conformance.scenario import load_all

    for scenario in load_all():
        print(f"{scenario.id:55} {','.join(scenario.features):40} {scenario.title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
