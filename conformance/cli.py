"""``stripe-conformance``: run the suite against a target, serve the reference server, list scenarios.

Exit codes: 0 every scenario passed, 1 a scenario failed, 2 the target could not be used or the
run was interrupted, 4 a usage error.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
from pathlib import Path

from conformance import __version__, options, real_stripe, selection

USAGE_ERROR = 4
TARGET_UNUSABLE = 2
NO_TESTS_SELECTED = 5  # pytest's code: reported as a usage error


class Parser(argparse.ArgumentParser):
    """argparse with the documented exit code for a usage error (4, not argparse's 2)."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(USAGE_ERROR)


SCENARIO_COMMANDS = {
    "check": "validate scenario files (check --help); one line per problem, exit 1 if any",
    "export": "write every scenario, setups and cases expanded, as plain JSON (export --help)",
}


def main(argv: list[str] | None = None) -> int:
    try:
        return command(argv)
    except BrokenPipeError:  # `stripe-conformance list | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


def command(argv: list[str] | None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command in SCENARIO_COMMANDS:
        from conformance import check

        return check.main(args.command, extra)
    if args.command == "run":
        try:
            return run_suite(args, extra)
        except KeyboardInterrupt:  # before the run's own handler is in place (reading the scenarios, say)
            print("stripe-conformance: interrupted", file=sys.stderr)
            return TARGET_UNUSABLE
    if args.command == "peers":
        from conformance.peers import command as peers

        return peers.main(args, [arg for arg in extra if arg != "--"])
    if args.command == "serve":
        from reference_impl.serve import main as serve_main  # the server is only loaded to serve it

        return serve_main(extra, prog="stripe-conformance serve")
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "judge":
        from conformance import judge

        return judge.main(args.har, args.verbose)
    from conformance.reporting import commands as reporting

    if args.command in reporting.USER_COMMANDS:
        return reporting.run(args)
    if args.command == "compare":
        from conformance.reporting import compare

        return compare.main(args)
    return list_scenarios(args)


def build_parser() -> Parser:
    parser = Parser(prog="stripe-conformance", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"stripe-conformance {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    add_run_options(commands.add_parser(
        "run", help="run the suite (other arguments go to pytest: -k, -x, --junitxml, -n)",
        description="Run the suite against a target. Every other argument goes to pytest (-k capture, -x, "
                    "--junitxml=junit.xml, -n 2). Exit codes: 0 passed, 1 a scenario failed, 2 target unusable "
                    "or interrupted, 4 usage error."))
    # serve's options (--host, --port, --db, ...) belong to the server, which parses them itself
    commands.add_parser("serve", add_help=False, help="run the bundled reference server (a stateful Stripe mock); "
                        "serve --help lists its options")
    listing = commands.add_parser("list", help="list the scenarios: id, features, title")
    for flag in ("--features", "--skip-features"):
        listing.add_argument(flag, metavar="A,B", help=options.BY_FLAG[flag].help)
    listing.add_argument("--features-list", action="store_true", help="list the feature tags, with their counts")
    judging = commands.add_parser("judge", help="judge a recorded run (run --record FILE.har) again, offline, by "
                                  "the current scenarios; exit 1 if a scenario fails, stale recordings are not failures")
    judging.add_argument("har", metavar="FILE.har")
    judging.add_argument("-v", "--verbose", action="store_true", help="name the scenarios that pass too")
    for name, help_text in SCENARIO_COMMANDS.items():  # their options belong to conformance.check
        commands.add_parser(name, add_help=False, help=help_text)
    from conformance.reporting import commands as reporting  # gate, suggest, check-manifest: stored results

    reporting.add_parsers(commands)
    from conformance.peers import command as peers  # peers: target profiles; compare: their results side by side
    from conformance.reporting import compare

    peers.add_parser(commands)
    compare.add_parser(commands)
    return parser


def add_run_options(run: argparse.ArgumentParser) -> None:
    """``run``'s options: every row of the one table, grouped, with its environment variable and default."""
    for name, title in options.GROUPS.items():
        group = run.add_argument_group(title)
        for option in options.OPTIONS:
            if option.group != name:
                continue
            help_text = option.help + (f" [env: {option.env}]" if option.env else "")
            if option.switch:
                group.add_argument(option.flag, *option.aliases, dest=option.name, action="store_true",
                                   default=None, help=help_text)
            else:
                group.add_argument(option.flag, *option.aliases, dest=option.name, type=option.type,
                                   metavar=option.metavar, default=None,
                                   help=f"{help_text} (default: {options.describe_default(option)})")


def given(args: argparse.Namespace, flag: str):
    """The value of a run option: the command line, then its environment variable, then the default."""
    option = options.BY_FLAG[flag]
    value = getattr(args, option.name)
    if value is None:
        value = options.from_env(option)
    return option.default if value is None else value


def run_suite(args: argparse.Namespace, extra: list[str]) -> int:
    try:
        profile = apply_profile(args)
        base_url, timeout = given(args, "--base-url"), given(args, "--target-timeout")
        selection.check(given(args, "--features"), given(args, "--skip-features"))
        secret, workers = given(args, "--api-key"), given(args, "--workers")
        refused = real_stripe.refusal(secret, given(args, "--publishable-key"), given(args, "--other-api-key"))
        if refused:  # before anything is sent, and with no override
            raise ValueError(refused)
    except (ValueError, selection.UnknownFeature) as exc:  # a bad profile is a ValueError too
        print(f"stripe-conformance: {exc}", file=sys.stderr)
        return USAGE_ERROR
    import pytest

    from conformance.launcher import BundledServer, LaunchError
    from conformance.target import probe

    server = None
    # SIGTERM ends the run like Ctrl-C does, through the cleanup below.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if profile is not None and profile.start is not None and not base_url:
            from conformance.peers import runner

            server = runner.ProfileProcess(profile, given(args, "--stripe-mock-bin"))
            try:
                server.start()
            except (LaunchError, runner.programs.Unavailable) as exc:
                print(f"stripe-conformance: cannot start {profile.label}: {exc}", file=sys.stderr)
                return TARGET_UNUSABLE
            print(f"stripe-conformance: {profile.label} on {server.base_url}", file=sys.stderr)
            if runner.state_kept(server.base_url, secret) is False:
                print(f"stripe-conformance: {profile.label}: {runner.STATE_NOT_KEPT}", file=sys.stderr)
        elif base_url:
            reason = probe(base_url, secret, timeout=min(5.0, timeout), version=given(args, "--stripe-version"))
            if reason:
                print(f"stripe-conformance: cannot use target {base_url}: {reason}", file=sys.stderr)
                return TARGET_UNUSABLE
        else:
            try:
                server = BundledServer().start()
            except LaunchError as exc:
                print(f"stripe-conformance: {exc}", file=sys.stderr)
                return TARGET_UNUSABLE
            print(f"stripe-conformance: bundled reference server on {server.base_url}", file=sys.stderr)
        wanted, unwanted = selection.tags(given(args, "--features")), selection.tags(given(args, "--skip-features"))
        both = not given(args, "--no-fuzz") and selection.chosen({selection.FUZZ}, wanted, unwanted) \
            and (not wanted or bool(wanted - {selection.FUZZ}))
        code = int(pytest.main(pytest_arguments(args, server, extra) + spread(workers, server, extra, both)))
    except KeyboardInterrupt:  # pytest handles its own; this is one outside it (probing, starting the server)
        print("stripe-conformance: interrupted", file=sys.stderr)
        return TARGET_UNUSABLE
    finally:
        if server is not None:
            server.stop()
        signal.signal(signal.SIGTERM, previous)
    if code == NO_TESTS_SELECTED:
        print("stripe-conformance: no scenario or check matches the selection", file=sys.stderr)
        return USAGE_ERROR
    return code


def apply_profile(args: argparse.Namespace):
    """The profile ``--target`` names, its settings filled in where neither the command line nor the
    environment gives one; None without ``--target``. A bad profile raises ProfileError (exit 4)."""
    name = given(args, "--target")
    if not name:
        return None
    from conformance import profiles

    profile = profiles.load(name)
    if profile.url and getattr(args, "base_url", None) is None and options.from_env(options.BY_FLAG["--base-url"]) is None:
        args.base_url = profile.url
    for flag, value in profile.run_options().items():
        option = options.BY_FLAG[flag]
        if getattr(args, option.name) is None and options.from_env(option) is None:
            setattr(args, option.name, value)
    if profile.url and given(args, "--api-key") is None:  # a target reached at its URL: no key, no run
        raise profiles.ProfileError(f"{profile.label} needs a secret key: --api-key, or {profile.data['keys']['secret']}")
    return profile


def suite_dir() -> Path:
    import conformance.suite

    return Path(conformance.suite.__file__).resolve().parent


def pytest_arguments(args: argparse.Namespace, server, extra: list[str]) -> list[str]:
    """The suite by its path, with its own ini file, rootdir and conftest boundary.

    Nothing of the directory the run is started in (its conftest.py, pytest.ini, pyproject.toml,
    tests/) may reach the suite: a path argument keeps pytest's first conftest search inside the
    suite, where ``--pyargs`` would fall back to the current directory.
    """
    from conformance.launcher import DEFAULT_OTHER_SECRET_KEY, DEFAULT_SECRET_KEY

    suite = suite_dir()
    arguments = ["-c", str(suite / "pytest.ini"), "--rootdir", str(suite), "--confcutdir", str(suite)]
    values = {option.flag: getattr(args, option.name) for option in options.OPTIONS if option.owner != options.RUN_ONLY}
    if server is not None and getattr(server, "profile", None) is not None:
        values["--base-url"] = server.base_url
    elif server is not None:
        values["--base-url"] = server.base_url
        values["--api-key"] = values["--api-key"] or DEFAULT_SECRET_KEY
        values["--other-api-key"] = values["--other-api-key"] or DEFAULT_OTHER_SECRET_KEY
        values["--no-cleanup"] = True  # the server is stopped with everything in it
    for flag, value in values.items():
        if value is True:
            arguments.append(flag)
        elif value is not None and value is not False and value != "":  # 0 is a value (--seed 0)
            arguments += [flag, str(value)]
    return arguments + extra + [str(suite)]


# pytest arguments by which the user already decided how the run is spread (or that it cannot be: a debugger)
SPREAD_ALREADY = ("--numprocesses", "--dist", "--pdb", "--trace", "-pno:xdist")


def spread(workers: str | int, server, extra: list[str], both: bool = True) -> list[str]:
    """pytest-xdist's ``-n`` for ``--workers``.

    ``auto`` is 2 processes when the run starts the bundled server, has 2 CPUs or more and
    includes both the scenarios and the fuzz tests (``both``), as the default run does. The fuzz
    tests are CPU-bound on our side (generating requests, checking every answer); each worker
    tests its own accounts there (``TargetSession.own_accounts``), which its scenarios fill before
    its fuzz tests name their objects. The scenarios alone take about two seconds, less than a
    second process costs to start; the fuzz tests alone on two workers would leave a worker's
    account empty for its first tests (15-21% of the valid requests accepted, 33% in one process).
    A target the user gave
    keeps one process unless asked: its accounts are shared, so one worker could change an object
    under another's checks. Arguments that already decide it (``-n``, ``--dist``, ``-p no:xdist``,
    a debugger) win.
    """
    decided = any(arg.startswith(SPREAD_ALREADY) or (arg.startswith("-n") and not arg.startswith("--"))
                  or (arg == "no:xdist" and before == "-p") for before, arg in zip(["", *extra], extra))
    if workers == options.AUTO:
        bundled = server is not None and getattr(server, "profile", None) is None
        workers = 2 if bundled and both and _cpus() >= 2 and importlib.util.find_spec("xdist") is not None else 1
    return [] if decided or workers == 1 else ["-n", str(workers)]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use (a container's share)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def list_scenarios(args: argparse.Namespace) -> int:
    from conformance.scenario import load_all

    try:
        selection.check(args.features, args.skip_features)
    except selection.UnknownFeature as exc:
        print(f"stripe-conformance: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if args.features_list:
        return list_features()
    wanted, unwanted = selection.tags(args.features), selection.tags(args.skip_features)
    rows = [(s.id, ",".join(s.features), s.title) for s in load_all() if selection.chosen(s.features, wanted, unwanted)]
    print_table(("id", "features", "title"), rows)
    print(f"{len(rows)} scenarios")
    return 0


def list_features() -> int:
    counts = selection.feature_counts()
    rows = [(feature, str(counts[feature])) for feature in sorted(counts)]
    print_table(("feature", "scenarios"), rows + [(selection.FUZZ, "the fuzz checks")])
    print(f"{len(rows) + 1} features")
    return 0


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns as wide as their widest cell (the last one is left as long as it is)."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        print("  ".join([cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]).rstrip())


if __name__ == "__main__":
    sys.exit(main())
