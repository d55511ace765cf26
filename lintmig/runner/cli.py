"""`lintmig run` and `lintmig status`: the runner from the command line."""
from __future__ import annotations

import sys

# Only the argument definitions are read when `lintmig check` starts; everything else
# (logging, signal handling, the runner) loads when `run` or `status` is the command.


def add_commands(sub) -> None:
    run = sub.add_parser("run", help="apply a folder of runner migrations (NNNN_name.sql / NNNN_name.py)")
    run.add_argument("folder", metavar="FOLDER")
    run.add_argument("--db", required=True, metavar="URL", help="sqlite:///app.db or postgresql://user@host/db")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--background", action="store_true",
                      help="apply the schema phases only; leave data and background work pending and exit 0")
    mode.add_argument("--worker", action="store_true",
                      help="do the pending data and background work (schema phases must be applied)")
    run.add_argument("--lock-timeout", type=float, default=3.0, metavar="SECONDS")
    run.add_argument("--statement-timeout", type=float, default=30.0, metavar="SECONDS")
    run.add_argument("--idle-timeout", type=float, default=10.0, metavar="SECONDS",
                     help="idle_in_transaction_session_timeout of a schema phase")
    run.add_argument("--lease", type=float, default=30.0, metavar="SECONDS",
                     help="how long a claim on a migration's work lasts without a heartbeat")
    run.add_argument("--lock-wait", type=float, default=20.0, metavar="SECONDS",
                     help="total time a statement may keep retrying for its lock (each try waits up to --lock-timeout)")
    run.add_argument("--index-wait", type=float, default=600.0, metavar="SECONDS",
                     help="how long a concurrent index build may wait for older transactions before it is cancelled")
    run.add_argument("--retry-failed", action="store_true",
                     help="put work that failed (even too many times) back in line before working")
    run.add_argument("--allow-out-of-order", action="store_true",
                     help="apply a new migration numbered below one already applied")
    run.add_argument("--quiet", "-q", action="store_true")

    status = sub.add_parser("status", help="per migration: schema applied, data progress, async state")
    status.add_argument("folder", nargs="?", metavar="FOLDER", help="also list migrations not applied yet")
    status.add_argument("--db", required=True, metavar="URL")
    status.add_argument("--format", choices=["text", "json"], default="text")


def run(args) -> int:
    import logging
    import signal

    from .errors import RunnerError
    from .runner import Runner

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="lintmig: %(message)s", stream=sys.stderr)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a SIGTERM hands the claimed work back, like Ctrl-C
    try:
        runner = Runner(args.db, args.folder, lock_timeout=args.lock_timeout,
                        statement_timeout=args.statement_timeout,
                        idle_in_transaction_timeout=args.idle_timeout, lease=args.lease,
                        lock_wait=args.lock_wait, index_wait=args.index_wait,
                        allow_out_of_order=args.allow_out_of_order,
                        create=not args.worker)  # a worker only finishes work in a database that exists
        if args.retry_failed:
            runner.retry_failed()
        if args.worker:
            runner.work(wait=True)
        else:
            runner.run(work=not args.background)
    except RunnerError as err:
        print(f"lintmig: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("lintmig: stopped; work in progress was handed back and resumes on the next run", file=sys.stderr)
        return 130
    except Exception as err:  # a driver error the runner did not expect: one line, never a traceback
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        print(f"lintmig: error: {type(err).__name__}: {first}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    report = runner.report
    if not args.quiet:
        print(f"lintmig: {len(report.applied)} schema phase(s) applied, "
              f"{len(report.finished)} migration(s) finished their work"
              + (" (data and background work left pending)" if args.background else ""), file=sys.stderr)
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def status(args) -> int:
    import json
    import time

    from .errors import RunnerError
    from .runner import status as read_status

    try:
        entries = read_status(args.db, args.folder)
    except RunnerError as err:
        print(f"lintmig: error: {err}", file=sys.stderr)
        return err.exit_code
    if args.format == "json":
        print(json.dumps(entries, indent=2))
        return 0
    if not entries:
        print("no migrations applied")
    for e in entries:
        work = e["work"] or "-"
        if work == "running":
            left = max(0.0, (e["lease_until"] or 0) - time.time())
            work += f" by {e['owner']} (lease {left:.0f}s left)"
        elif work == "failed":
            work += f" {e['failures']} time(s): {e['error']}"
            if e.get("retry_after") and e["retry_after"] > time.time():
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e["retry_after"]))
                work += f" (retried automatically after {when}, or now with `lintmig run --retry-failed`)"
            else:
                work += " (`lintmig run --retry-failed` puts it back in line)"
        progress = f"step {e['step']}, {e['rows_done']} rows" if e["work"] not in (None, "done") else ""
        applied = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e["applied_at"])) if e["applied_at"] else ""
        changed = "  CHANGED SINCE APPLIED" if e["changed"] else ""
        print(f"{e['version']:>6}  {e['name']:<32} schema {e['schema']:<8} {applied:<20} "
              f"work {work}{'  ' + progress if progress else ''}{changed}")
    return 1 if any(e["changed"] or e["work"] == "failed" for e in entries) else 0
