"""The ``replay-jobrun`` command: a thin shell over the core modules."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import LeakError, ReplayJobrunError
from .options import SALT_ENV


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
    scrub = commands.add_parser(
        "scrub",
        help="scrub cassettes in place (also ones written by plain vcrpy or pytest-recording)",
    )
    scrub.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="cassettes or folders")
    scrub.add_argument("--salt", help=f"pseudonym salt (default: ${SALT_ENV} or the built-in one)")
    scrub.add_argument(
        "--keep",
        action="append",
        default=None,
        metavar="PATH",
        help="body field that model-driven redaction leaves as recorded (repeatable; "
        "default: the cassette's own keep list)",
    )
    scrub.add_argument(
        "--regex",
        action="append",
        default=[],
        metavar="'PATTERN -> REPLACEMENT'",
        help="extra text rule, as in the jobrun_scrub_regex ini option (repeatable)",
    )
    scrub.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="'PATH -> REPLACEMENT'",
        help="extra field rule, as in the jobrun_scrub_fields ini option (repeatable)",
    )
    scrub.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="MODULE:ATTRIBUTE",
        help="extra rules from Python: a list of replay_jobrun.rules values, or a function "
        "returning one (repeatable)",
    )
    scan = commands.add_parser(
        "scan", help="leak-scan cassettes: exit 1 and name every finding (for CI and pre-commit)"
    )
    scan.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="cassettes or folders")
    return parser


def cassette_files(paths: Sequence[Path]) -> list[Path]:
    """The cassettes named, and every *.yaml / *.yml below the folders named."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(2, "no such file", str(path))
    return found


def _scrub(args: argparse.Namespace) -> int:
    from .cassette import parse_cassette
    from .record import write_scrubbed
    from .rules import load_rules, parse_lines
    from .scrub import Scrubber
    from .summary import scrub_lines

    rules = parse_lines(args.regex, args.field, ())
    for spec in args.rules:
        rules.extend(load_rules(spec))
    salt = args.salt or os.environ.get(SALT_ENV)
    for path in cassette_files(args.paths):
        before = path.read_text(encoding="utf-8")
        cassette = parse_cassette(before, path)
        keep = args.keep if args.keep is not None else cassette.metadata.get("keep_fields") or ()
        scrubber = Scrubber(salt=salt, keep_fields=keep, rules=rules)
        _, report = write_scrubbed(cassette, scrubber)
        if path.read_text(encoding="utf-8") == before:
            print(f"unchanged {path}")
            continue
        print(f"scrubbed  {path}")
        for line in scrub_lines(report.summary()) if report.replaced else ():
            print(f"  {line}")
    return 0


def _scan(paths: Sequence[Path]) -> int:
    from .scan import scan_file

    files = cassette_files(paths)
    dirty = 0
    for path in files:
        findings = scan_file(path)
        if findings:
            dirty += 1
            print(f"{path}: {len(findings)} possible secret(s)")
            for finding in findings:
                print(str(finding))
    if dirty:
        print(
            f"{dirty} of {len(files)} cassette(s) hold possible secrets: "
            "run `replay-jobrun scrub` on them, then review the diff"
        )
        return 1
    print(f"clean: {len(files)} cassette(s)")
    return 0


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

            for index, path in enumerate(cassette_files(args.cassettes)):
                if index:
                    print()
                print(describe(load_cassette(path)))
            return 0
        if args.command == "scrub":
            return _scrub(args)
        if args.command == "scan":
            return _scan(args.paths)
    except LeakError as err:
        print(f"replay-jobrun: {err}", file=sys.stderr)
        return 1
    except FileNotFoundError as err:
        print(f"replay-jobrun: {err.filename or err}: no such file", file=sys.stderr)
        return 2
    except ReplayJobrunError as err:
        print(f"replay-jobrun: {err}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
