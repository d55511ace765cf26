"""The `lintmig` command: thin wiring from flags to the engine and the reporters."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors: exit 2 with a short message, never a traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"lintmig: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lintmig", description="A static pre-merge linter for database migrations.")
    parser.add_argument("--version", action="version", version=f"lintmig {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="lint migration files")
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="files or folders to lint whole (none: what the branch changes, from git)")
    check.add_argument("--base", metavar="REF", help="lint what changed since the merge base with REF")
    check.add_argument("--staged", action="store_true", help="lint what is staged for the next commit")
    check.add_argument("--config", metavar="FILE", help=".lintmig.yaml or pyproject.toml to use (default: found from here up)")
    check.add_argument("--dialect", choices=["postgres", "sqlite", "mysql"])
    check.add_argument("--postgres-version", type=int, metavar="N")
    check.add_argument("--mysql-version", metavar="X.Y[.Z]")
    check.add_argument("--mode", choices=["smart", "strict"])
    check.add_argument("--sql-transaction", choices=["none", "per_file"])
    check.add_argument("--lint-downgrade", action="store_true", default=None, help="also lint down sections")
    check.add_argument("--embedded", metavar="GLOBS",
                       help="code files holding migration SQL under named folders (comma separated, e.g. 'cmd/**/db.go')")
    check.add_argument("--select", metavar="CODES", help="only these rules (codes or names, comma separated)")
    check.add_argument("--ignore", metavar="CODES", help="skip these rules (codes or names, comma separated)")
    check.add_argument("--format", choices=["text", "json", "sarif", "github", "gitlab", "markdown"], default="text")
    check.add_argument("--sarif-include-suppressed", action="store_true", help="keep suppressed findings in SARIF")
    check.add_argument("--fail-on", choices=["error", "warning"])
    check.add_argument("--no-cache", action="store_true", help="do not read or write the cache (extraction and whole-run findings)")
    check.add_argument("--cache-dir", metavar="DIR", help="where the cache lives (default: the user's cache directory)")
    check.add_argument("--max-file-size", metavar="SIZE", help="larger files are not read (LM001), e.g. 64MB (default 32MB)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--pr-body", metavar="FILE", help="pull request description ('-' for stdin), for its scale line")
    check.add_argument("--show-suppressed", action="store_true", help="also list suppressed findings and why")
    check.add_argument("--stats", metavar="FILE", help="a table-size snapshot from `lintmig stats` (default: the stats setting)")

    stats = sub.add_parser("stats", help="snapshot the table sizes of a database into a file to commit")
    stats.add_argument("--db", required=True, metavar="URL", help="sqlite:///FILE or postgresql://... (read only)")
    stats.add_argument("--tables", metavar="NAMES", help="only these tables (comma separated)")
    stats.add_argument("--output", "-o", metavar="FILE", default=None,
                       help="where to write it (default: the stats setting, else .lintmig/stats.json)")

    rules = sub.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--format", choices=["text", "json"], default="text")

    explain = sub.add_parser("explain", help="explain one rule: why, what to write instead, examples")
    explain.add_argument("rule", metavar="CODE_OR_NAME")

    from .runner.cli import add_commands

    add_commands(sub)
    return parser


def entry() -> int:
    """The `lintmig` command (and `python -m lintmig`): one run, then the process exits."""
    from .collector import exit_now, one_run_per_process

    one_run_per_process()
    code = main()
    exit_now(code)
    return code


def main(argv: Optional[list[str]] = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 must not end the run
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and argparse's usage errors
        return int(exit_.code or 0)
    if args.command == "stats":  # the runner's database layer, nothing of the linter's parsers
        from .runner.tablestats import command

        return command(args)
    if args.command in ("run", "status"):  # the runner: nothing of the linter is imported
        from .runner import cli as runner_cli

        return getattr(runner_cli, args.command)(args)
    from .catalog import CatalogError
    from .config import UsageError

    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "explain":
            return _explain(args)
        build_parser().print_help()
        return EXIT_USAGE
    except UsageError as err:
        print(f"lintmig: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except CatalogError as err:  # lintmig's own rule files, broken by an install over an older one
        print(f"lintmig: error: the rule catalog of this installation is broken: {err}; reinstall lintmig "
              f"(pip install --force-reinstall, from a checkout without a stale build/ folder)", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _config_from_flags(args, diff_mode: bool = False, pr=None):
    """The config file's settings (in diff mode, the base's wherever the change weakens
    them), then the flags over them; and the LM006 findings of that comparison."""
    from . import catalog, configfile
    from .config import UsageError

    config = configfile.load(args.config)
    weakened = []
    if diff_mode:
        from .configdiff import guard

        config, weakened = guard(config, args.config, args.base, args.staged, pr)
    for key in ("dialect", "postgres_version", "mysql_version", "mode", "sql_transaction", "lint_downgrade", "fail_on"):
        value = getattr(args, key, None)
        if value is not None:
            setattr(config, key, value)
    try:
        if args.select:
            config.select = catalog.resolve(args.select)
        if args.ignore:
            config.ignore = catalog.resolve(args.ignore)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.cache_dir:
        config.cache = args.cache_dir
    if args.no_cache:
        config.cache = False
    if args.max_file_size:
        from .sources import parse_size

        try:
            config.max_file_size = parse_size(args.max_file_size)
        except ValueError as err:
            raise UsageError(f"--max-file-size: {err}") from None
    if args.embedded:
        config.embedded = [g.strip() for g in args.embedded.split(",") if g.strip()]
    return config.validate(), weakened


def _check(args) -> int:
    from .collector import collect_less, keep_to_the_end
    from .config import UsageError
    from .engine import lint_paths
    from .progress import for_run
    from .pullrequest import from_environment
    from .report import render

    collect_less()
    pr = from_environment(args.pr_body)
    diff_mode = not args.paths or bool(args.base or args.staged)
    config, weakened = _config_from_flags(args, diff_mode, pr)
    progress = for_run(args.format)
    snapshot = None
    if args.stats or config.stats:
        from . import stats

        snapshot = stats.load(args.stats or config.stats)
        if diff_mode:
            from .configdiff import guard_stats

            snapshot, stats_changes = guard_stats(config, snapshot, args.base, args.staged, pr)
            weakened = weakened + stats_changes
    if not diff_mode:
        result = lint_paths(args.paths, config, pr, progress, snapshot)
    else:
        from .engine import lint_change

        for path in args.paths:
            if not os.path.exists(path):
                raise UsageError(f"{path}: no such file or directory")
        result = lint_change(config, args.base, args.staged, args.paths, pr, extra=weakened, progress=progress,
                             snapshot=snapshot)
    color = args.format == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    for chunk in render(args.format, result, color=color, show_suppressed=args.show_suppressed,
                        sarif_include_suppressed=args.sarif_include_suppressed):
        sys.stdout.write(chunk)
    keep_to_the_end(result)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if args.format == "github" and summary:
        try:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.writelines(render("markdown", result))
        except OSError as err:
            print(f"lintmig: warning: cannot write GITHUB_STEP_SUMMARY: {err.strerror}", file=sys.stderr)
    return EXIT_FINDINGS if result.failed(config.fail_on) and not args.exit_zero else EXIT_OK


def _rules(args) -> int:
    from . import catalog

    rules = catalog.load().values()
    if args.format == "json":
        import json

        doc = [{"code": r.code, "name": r.name, "class": r.klass, "severity": r.severity,
                "dialects": list(r.dialects), "summary": r.summary} for r in rules]
        print(json.dumps(doc, indent=2))
        return EXIT_OK
    for r in rules:
        print(f"{r.code}  {r.name:<38} {r.klass:<11} {r.severity:<7}  {r.summary}")
    return EXIT_OK


def _explain(args) -> int:
    import textwrap

    from . import catalog
    from .config import UsageError

    try:
        (code,) = catalog.resolve(args.rule) or [None]
    except ValueError as err:
        raise UsageError(str(err)) from None
    if code is None:
        raise UsageError("name a rule, e.g. `lintmig explain LM101`")
    r = catalog.load()[code]
    wrap = lambda text: textwrap.fill(text, width=88, initial_indent="  ", subsequent_indent="  ")  # noqa: E731
    out = [f"{r.code} {r.name} ({r.klass}, {r.severity}; {', '.join(r.dialects)})", "", r.summary, "",
           "Why:", wrap(r.why), "", "Use instead:", wrap(r.use_instead)]
    for verdict, title in (("bad", "Flagged"), ("good", "Not flagged")):
        examples = list(catalog.examples_of(r, verdict))
        if examples:
            out += ["", f"{title}:"]
        for _host, label, text in examples:
            out.append(f"  [{label}]")
            out += ["    " + line for line in text.splitlines()]
    print("\n".join(out))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
