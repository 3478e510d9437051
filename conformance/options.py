"""The one table of the run's options: ``stripe-conformance run``'s parser and the pytest plugin both build from it.

Each row is one option with its flag, environment variable, default, help and group. The pytest
plugin registers every row except those another plugin already owns (``--base-url`` is
pytest-base-url's, ``--strict`` is pytest's own); the CLI shows every row in ``run --help`` and
hands what the user gave it to pytest under the same flag. A value comes from the command line,
else from the environment variable, else the default: :func:`value` is the one reader.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

from conformance import real_stripe

GROUPS = {
    "target": "the target",
    "selection": "what runs",
    "fuzz": "property-based contract checks",
    "reports": "reports, known failures and baselines",
}

TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Option:
    flag: str
    env: str | None
    help: str
    group: str
    default: Any = None
    type: Callable[[str], Any] = str
    metavar: str | None = None
    switch: bool = False  # takes no value (store_true)
    owner: str | None = None  # the plugin that registers the flag, when it is not ours ("run": the CLI's own)
    aliases: tuple[str, ...] = ()  # other spellings ``stripe-conformance run`` accepts
    dest: str = ""

    @property
    def name(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def pytest_dest(self) -> str:
        return self.dest or "stripe_" + self.name


RUN_ONLY = "run"  # the owner of rows only ``stripe-conformance run`` reads (it starts the target before pytest)
AUTO = "auto"


def workers(text: str) -> str | int:
    """``--workers``: a number of processes, at least 1, or ``auto``."""
    if text.strip().lower() == AUTO:
        return AUTO
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"--workers takes a number of processes (1 or more) or auto, not {text!r}")
    return number

OPTIONS: tuple[Option, ...] = (
    Option("--target", "STRIPE_CONFORMANCE_TARGET",
           "a target profile (targets/NAME/profile.yaml, or a profile file): starts the target if the profile says "
           "how, and sets its keys, lacks, seed, polling limits and known-failures manifest", "target",
           metavar="NAME", owner=RUN_ONLY),
    Option("--stripe-mock-bin", "STRIPE_MOCK_BIN", "the stripe-mock program, for profiles that start it "
           "(default: stripe-mock on the PATH)", "target", metavar="PATH", owner=RUN_ONLY),
    Option("--base-url", "STRIPE_BASE_URL", "the target; without it the bundled reference server is started",
           "target", metavar="URL", owner="pytest-base-url", dest="base_url"),
    Option("--api-key", "STRIPE_API_KEY", "the target's secret key (bundled server: sk_test_conformance)", "target",
           metavar="KEY"),
    Option("--publishable-key", "STRIPE_PUBLISHABLE_KEY",
           "the same account's publishable key (default: the secret key with pk_ for sk_)", "target", metavar="KEY"),
    Option("--other-api-key", "STRIPE_OTHER_API_KEY", "a second account's secret key, for isolation scenarios",
           "target", metavar="KEY"),
    Option("--target-timeout", "STRIPE_CONFORMANCE_TIMEOUT", "seconds to wait for each answer", "target",
           default=10.0, type=float, metavar="S", aliases=("--timeout",)),
    Option("--stripe-version", "STRIPE_VERSION", "the Stripe-Version every request carries", "target",
           default=real_stripe.API_VERSION, metavar="VERSION", dest="stripe_version"),
    Option("--max-rps", "STRIPE_CONFORMANCE_MAX_RPS",
           f"at most N requests per second, across every -n worker (api.stripe.com: {real_stripe.MAX_RPS:g})",
           "target", type=float, metavar="N", dest="max_rps"),
    Option("--poll-timeout", "STRIPE_CONFORMANCE_POLL_TIMEOUT",
           f"seconds a search poll waits for its match, instead of each scenario's own (api.stripe.com: "
           f"{real_stripe.POLL_TIMEOUT:g})", "target", type=float, metavar="S", dest="poll_timeout"),
    Option("--no-cleanup", "STRIPE_CONFORMANCE_NO_CLEANUP",
           "keep what the run left open on a target you gave (else its open PaymentIntents and SetupIntents "
           "are canceled at the end)", "target", default=False, switch=True, dest="no_cleanup"),
    Option("--workers", "STRIPE_CONFORMANCE_WORKERS",
           "processes the tests are spread over (pytest-xdist's -n); auto: 2 when the run starts the bundled "
           "server on 2 CPUs or more and includes both the scenarios and the fuzz checks (the default run), "
           "each process its own accounts there, else 1", "selection",
           default=AUTO, type=workers, metavar="N|auto", owner=RUN_ONLY),
    Option("--features", "STRIPE_CONFORMANCE_FEATURES",
           "only scenarios with one of these comma-separated feature tags (`fuzz`: the fuzz checks)", "selection",
           metavar="A,B"),
    Option("--skip-features", "STRIPE_CONFORMANCE_SKIP_FEATURES", "leave out scenarios with any of these tags",
           "selection", metavar="A,B"),
    Option("--lacks", "STRIPE_CONFORMANCE_LACKS",
           "account capabilities the target lacks (scenarios/features.yaml), comma-separated: scenarios requiring "
           "them are not applicable", "selection", metavar="A,B"),
    Option("--no-fuzz", "STRIPE_CONFORMANCE_NO_FUZZ", "leave out the fuzz checks", "selection", default=False,
           switch=True, dest="no_fuzz"),
    Option("--fuzz-examples", "STRIPE_CONFORMANCE_FUZZ_EXAMPLES",
           "generated requests per operation, and stateful sequences", "fuzz", default=10, type=int, metavar="N",
           dest="fuzz_examples"),
    Option("--seed", "STRIPE_CONFORMANCE_SEED",
           "seed of the generated requests, to replay a run (default: 0 under CI=true, else random and printed)",
           "fuzz", type=int, metavar="S", dest="seed"),
    Option("--report", "STRIPE_CONFORMANCE_REPORT", "write results.json, report.md and report.html into DIR",
           "reports", metavar="DIR", dest="conformance_report"),
    Option("--expect-failures", "STRIPE_CONFORMANCE_EXPECT_FAILURES",
           "known-failures manifest (YAML: scenario id or feature tag -> reason); listed failures are expected",
           "reports", metavar="FILE", dest="conformance_expect_failures"),
    Option("--baseline", "STRIPE_CONFORMANCE_BASELINE",
           "results.json of an earlier run: fail on every regression, list improvements", "reports",
           metavar="RESULTS", dest="conformance_baseline"),
    Option("--strict", None, "with --expect-failures: a listed scenario that passes fails the run", "reports",
           default=False, switch=True, owner="pytest", dest="strict"),
    Option("--strict-should", "STRIPE_CONFORMANCE_STRICT_SHOULD",
           "a missed SHOULD (passed with warnings) fails the run", "reports", default=False, switch=True,
           dest="strict_should"),
    Option("--record", "STRIPE_CONFORMANCE_RECORD",
           "write every exchange of the run to FILE as a HAR 1.2 file, keys and client secrets redacted "
           "(stripe-conformance judge FILE re-judges it)", "reports", metavar="FILE.har", dest="record"),
    Option("--target-name", "STRIPE_CONFORMANCE_TARGET_NAME", "the target's name in reports (default: its base URL)",
           "reports", metavar="NAME", dest="conformance_target_name"),
)

BY_FLAG = {option.flag: option for option in OPTIONS}


def ours() -> tuple[Option, ...]:
    """The rows the stripe-conformance pytest plugin registers itself."""
    return tuple(option for option in OPTIONS if option.owner is None)


def from_env(option: Option) -> Any:
    """The environment's value for ``option``, converted, or None when unset or empty."""
    text = os.environ.get(option.env or "", "").strip()
    if not text:
        return None
    if option.switch:
        return text.lower() in TRUE
    return option.type(text)


def value(config: Any, flag: str) -> Any:
    """An option's value in a pytest session: the command line, then the environment, then the default."""
    option = BY_FLAG[flag]
    given = getattr(config.option, option.pytest_dest, None)
    if given is not None and given is not False and given != "":  # 0 is a value (--seed 0)
        return given
    from_environment = from_env(option)
    return option.default if from_environment is None else from_environment


def describe_default(option: Option) -> str:
    if option.switch:
        return "off"
    return "none" if option.default is None else f"{option.default:g}" if isinstance(option.default, float) \
        else str(option.default)
