"""The ``replay-jobrun`` command: a thin shell over the core modules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import ReplayJobrunError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="replay-jobrun",
        description="Record, scrub and replay emr-containers DescribeJobRun traffic.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="record a job lifecycle from an embedded moto server, scrub it, replay it offline",
    )
    demo.add_argument("--out", type=Path, metavar="DIR", help="keep the cassette in DIR")
    show = commands.add_parser(
        "show", help="summarize cassettes: scrubbing and the job-state timeline"
    )
    show.add_argument("cassettes", nargs="+", type=Path, metavar="CASSETTE")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; exit code 0 on success, 1 on a failed check, 2 on bad input."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from . import demo

            return demo.run(args.out, sys.stdout)
        if args.command == "show":
            from .cassette import load_cassette
            from .summary import describe

            for index, path in enumerate(args.cassettes):
                if index:
                    print()
                print(describe(load_cassette(path)))
            return 0
    except FileNotFoundError as err:
        print(f"replay-jobrun: {err.filename or err}: no such file", file=sys.stderr)
        return 2
    except ReplayJobrunError as err:
        print(f"replay-jobrun: {err}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
