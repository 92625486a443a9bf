"""The ``replay-jobrun`` command: a thin shell over the core modules."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..options import DRIFT_FAIL_ON, SALT_ENV, drift_fail_on
from . import exits
from .files import cassette_files, cassette_text, checked_path

__all__ = ["cassette_files", "main"]

_DEBUG_HELP = "on an error, print the full traceback too (exit codes stay the same)"


class _Version(argparse.Action):
    """``--version``: looks the versions up only when asked (four metadata reads)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(exits.version_line())  # to stdout, as argparse's own version action does
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=exits.PROG,
        description="Record, scrub and replay emr-containers DescribeJobRun traffic.",
        epilog="Exit codes: 0 clean, 1 a finding (drift, a leak), 2 bad input or usage, "
        "3 an internal error (a bug: please report it).",
    )
    parser.add_argument(
        "--version",
        action=_Version,
        help="print the versions of replay-jobrun and its dependencies, then exit",
    )
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
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
    _add_drift(commands)
    for command in commands.choices.values():
        # --debug after the command too; SUPPRESS keeps a command from resetting it to False.
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP
        )
    return parser


def _add_drift(commands: Any) -> None:
    drift = commands.add_parser(
        "drift",
        help="schema drift between recordings or against the installed botocore model "
        "(exit 1 on drift)",
        description="Compare the schema of recorded responses: OLD NEW (two cassettes, or two "
        "folders paired by relative path); --against REF [PATH ...] (the working tree against "
        "the same files at git REF); --model [PATH ...] (against the installed botocore model). "
        "PATH defaults to the jobrun_cassette_dir ini option. Exit 0: no drift at or above "
        "--fail-on; 1: drift; 2: bad input.",
    )
    drift.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    mode = drift.add_mutually_exclusive_group()
    mode.add_argument("--against", metavar="REF", help="git ref to compare the working tree with")
    mode.add_argument(
        "--model", action="store_true", help="check against the installed botocore model"
    )
    drift.add_argument(
        "--format",
        action="append",
        default=[],
        metavar="FORMAT[=FILE]",
        help="text (default), json, markdown, junit or github; =FILE writes it to FILE "
        "instead of standard output (repeatable: one run can write several)",
    )
    drift.add_argument(
        "--fail-on",
        choices=DRIFT_FAIL_ON,
        default=None,
        help="least severity that fails: info, additive (default: any schema change), "
        "breaking, or never (the jobrun_drift_fail_on ini option sets the default)",
    )
    drift.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="'[KIND] PATH'",
        help="drop findings at PATH (and under it), of KIND only if given; added to the "
        "jobrun_drift_ignore ini option (repeatable)",
    )
    drift.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="processes to compare with: 1 runs in this one; default: one per CPU when "
        "there are enough distinct cassettes to pay for starting them, else 1",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _scrub(args: argparse.Namespace) -> int:
    from ..cassette.format import parse_cassette
    from ..record.recorder import write_scrubbed
    from ..scrub.rules import load_rules, parse_lines
    from ..scrub.scrubber import Scrubber
    from .summary import scrub_lines

    rules = parse_lines(args.regex, args.field, ())
    for spec in args.rules:
        rules.extend(load_rules(spec))
    salt = args.salt or os.environ.get(SALT_ENV)
    for path in cassette_files(args.paths):
        before = cassette_text(path)
        cassette = parse_cassette(before, path)
        keep = args.keep if args.keep is not None else cassette.metadata.get("keep_fields") or ()
        scrubber = Scrubber(
            salt=salt,
            keep_fields=keep,
            rules=rules,
            keep_values=cassette.metadata.get("keep_values") or (),
        )
        _, report = write_scrubbed(cassette, scrubber)
        if cassette_text(path) == before:
            print(f"unchanged {path}")
            continue
        print(f"scrubbed  {path}")
        for line in scrub_lines(report.summary()) if report.replaced else ():
            print(f"  {line}")
    return 0


def _scan(paths: Sequence[Path]) -> int:
    from ..scrub.scan import scan_file

    files = cassette_files(paths)
    dirty = 0
    for path in files:
        cassette_text(path)  # a file that is not UTF-8 is bad input, named with the offset
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


def _outputs(specs: Sequence[str]) -> list[tuple[str, Path | None]]:
    from ..drift.report import FORMATS

    outputs: list[tuple[str, Path | None]] = []
    for spec in specs or ["text"]:
        fmt, _, target = spec.partition("=")
        if fmt not in FORMATS:
            raise ConfigError(
                source=f"--format {spec}",
                problem=f"unknown format {fmt!r}",
                valid=", ".join(FORMATS) + ", each optionally =FILE",
            )
        outputs.append((fmt, checked_path(Path(target), "--format") if target else None))
    return outputs


def _drift(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..drift.compare import parse_ignore
    from ..drift.report import render
    from ..drift.run import check_sets, compare_sets, drift
    from ..drift.sources import cassettes_at
    from .settings import load_settings

    settings = load_settings()
    outputs = _outputs(args.format)
    fail_on = args.fail_on or drift_fail_on(
        settings.get("jobrun_drift_fail_on", "additive"), f"jobrun_drift_fail_on in {settings.path}"
    )
    ignore = parse_ignore(
        settings.lines("jobrun_drift_ignore"), f"jobrun_drift_ignore in {settings.path}"
    )
    ignore += parse_ignore(args.ignore, "--ignore")
    paths = [
        checked_path(path, "PATH")
        for path in args.paths
        or [settings.rootdir / settings.get("jobrun_cassette_dir", "cassettes")]
    ]
    if args.model:
        found = {}
        for path in paths:  # named by path as given: several folders may hold one name
            for name, source in cassettes_at(path).items():
                found[(path / name).as_posix() if path.is_dir() else path.as_posix()] = source
        report = check_sets(
            found, label=" ".join(map(str, paths)), ignore=ignore, workers=args.workers
        )
    elif args.against:
        from ..drift.gitrefs import cassettes_at_ref

        old, new = cassettes_at_ref(args.against, paths)
        report = compare_sets(
            old,
            new,
            old_label=args.against,
            new_label="working tree",
            ignore=ignore,
            workers=args.workers,
        )
    elif len(args.paths) == 2:
        report = drift(args.paths[0], args.paths[1], ignore=ignore, workers=args.workers)
    else:
        parser.error("drift takes OLD NEW, --against REF [PATH ...] or --model [PATH ...]")
    for fmt, target in outputs:
        text = render(report, fmt, fail_on=fail_on)
        if target is None:
            sys.stdout.write(text)
        else:
            target.write_text(text, encoding="utf-8")
    return 1 if report.fails(fail_on) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point. Exit codes (``exits``): 0 clean, 1 a finding, 2 bad input or usage,
    3 an internal error, 130 interrupted, 141 output closed early; never a traceback
    unless ``--debug``."""
    parser = _parser()
    args = parser.parse_args(argv)  # usage errors: SystemExit(2), argparse's message
    try:
        code = _run(args, parser)
        sys.stdout.flush()  # a closed pipe shows here, not later at interpreter exit
    except KeyboardInterrupt:
        _traceback_if(args)
        print(f"{exits.PROG}: interrupted", file=sys.stderr)
        return exits.INTERRUPTED
    except BrokenPipeError:
        # The reader (`| head`) has what it wanted: say nothing, and keep the interpreter
        # from failing to flush the rest at exit.
        _traceback_if(args)
        _discard_stdout()
        return exits.CLOSED_OUTPUT
    except Exception as err:
        _traceback_if(args)
        code, message = exits.classify(err)
        print(message, file=sys.stderr)
    return code


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "demo":
        from . import demo

        return demo.run(args.out, sys.stdout)
    if args.command == "show":
        from ..cassette.format import load_cassette
        from .summary import describe, model_problems

        unfit = False
        for index, path in enumerate(cassette_files(args.cassettes)):
            if index:
                print()
            cassette = load_cassette(path)
            print(describe(cassette))
            unfit = unfit or bool(model_problems(cassette))
        return 2 if unfit else 0  # a cassette replay refuses is bad input
    if args.command == "scrub":
        return _scrub(args)
    if args.command == "scan":
        return _scan(args.paths)
    if args.command == "drift":
        return _drift(args, parser)
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


def _traceback_if(args: argparse.Namespace) -> None:
    if args.debug:
        traceback.print_exc()


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file (captured in-process): nothing to do
        pass


if __name__ == "__main__":
    sys.exit(main())
