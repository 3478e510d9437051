"""``python -m tools.behaviour_pages``: regenerate docs/behaviours/ (``--check``: only say what differs).

A maintainer's tool, run after changing scenarios: it runs every scenario against a fresh reference
server for the examples, and draws the state diagrams with Graphviz's ``dot``.
"""

from __future__ import annotations

import argparse
import sys

from tools.behaviour_pages import build, diagrams


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.behaviour_pages", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if docs/behaviours/ is out of date")
    options = parser.parse_args(argv)
    try:
        files = build.generate(build.committed_svg if options.check else build.drawn_svg)
    except diagrams.GraphvizMissing as exc:
        print(f"behaviour pages: {exc}", file=sys.stderr)
        return 2
    if options.check:
        found = build.differences(files)
        for line in found:
            print(f"docs/behaviours/{line}")
        if found:
            print(f"docs/behaviours/ is out of date: run `{build.pages.REGENERATE}` and commit it", file=sys.stderr)
        return 1 if found else 0
    written = build.write(files)
    print(f"docs/behaviours/: {len(written)} files written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
