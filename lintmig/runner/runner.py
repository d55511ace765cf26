"""Runner: apply a folder of migrations safely, at boot or from the command line.

1. Schema phases, in order, serialised across processes by a short global lock (SQLite:
   one `BEGIN EXCLUSIVE` per schema phase; PostgreSQL: `pg_advisory_lock`, released when
   the schema phases are done). Each schema phase and its bookkeeping row commit together.
2. Data and background work, claimed per migration by a lease in the bookkeeping table
   and never under the global lock. `run(background=True)` returns after step 1 and does
   step 2 in a daemon thread; `run()` returns when every migration's work is done,
   waiting for work another live runner holds.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Optional

from . import ledger
from .context import SchemaContext, WorkContext
from .database import Connection, Timeouts, backoff, open_database, schema_lock_timeout
from .errors import LeaseLost, RunnerError, database_error, database_error_of
from .folder import MigrationFile, load_folder

log = logging.getLogger("lintmig.runner")
_ADVISORY_KEY = 0x6C696E746D6967  # "lintmig": one lock per database for every lintmig runner


@dataclass
class Report:
    """What one run did, for the CLI and for callers at boot."""

    applied: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Runner:
    def __init__(self, url: str, folder: str, *, lock_timeout: float = 3.0, statement_timeout: float = 30.0,
                 idle_in_transaction_timeout: float = 10.0, lease: float = 30.0, max_failures: int = 3,
                 poll: float = 0.2, sqlite_wal: bool = True, create: bool = True, lock_wait: float = 20.0,
                 index_wait: float = 600.0, allow_out_of_order: bool = False):
        self.timeouts = Timeouts(lock_timeout, statement_timeout, idle_in_transaction_timeout, lease,
                                 lock_wait=lock_wait, index_wait=index_wait)
        self.db = open_database(url, self.timeouts, create)
        self.folder = folder
        self.allow_out_of_order = allow_out_of_order
        self.max_failures = max_failures
        self.stopping = threading.Event()  # set by stop(): hand the work back and return
        self.sqlite_wal = sqlite_wal
        self.poll = poll
        self.owner = ledger.new_owner()
        self.report = Report()
        self.thread: Optional[threading.Thread] = None
        self._migrations: Optional[list[MigrationFile]] = None

    @property
    def migrations(self) -> list[MigrationFile]:
        if self._migrations is None:
            self._migrations = load_folder(self.folder, self.db.dialect)
        return self._migrations

    # -- the two entry points -------------------------------------------------------------

    def run(self, background: bool = False, work: bool = True, retry_failed: bool = False) -> Report:
        """Apply the schema phases; then do the work now (default), in a thread
        (`background=True`), or not at all (`work=False`: `lintmig run --background`).
        `retry_failed` first puts work that failed back in line."""
        self.apply_schema()
        if retry_failed:
            self.retry_failed()
        if not work:
            return self.report
        if background:
            self.thread = threading.Thread(target=self._work_in_background, name="lintmig-worker", daemon=True)
            self.thread.start()
            return self.report
        self.work(wait=True)
        return self.report

    def stop(self) -> None:
        """Ask the work to stop at its next step: the claim is released for another runner."""
        self.stopping.set()

    def retry_failed(self) -> list[int]:
        conn = self.db.connect(f"retry {self.owner}")
        try:
            versions = database_error(lambda: ledger.retry_failed(conn), "resetting failed work") \
                if ledger.table_exists(conn) else []
        finally:
            conn.close()
        for version in versions:
            log.info("migration %s: failed work put back in line", version)
        return versions

    def wait(self, timeout: Optional[float] = None) -> Report:
        """Join the background thread started by `run(background=True)`."""
        if self.thread is not None:
            self.thread.join(timeout)
        return self.report

    # -- schema phases --------------------------------------------------------------------

    def apply_schema(self) -> None:
        migrations = self.migrations
        conn = self.db.connect(f"schema {self.owner}")
        try:
            if conn.dialect == "sqlite" and self.sqlite_wal:
                _write_ahead_log(conn)
            if database_error(lambda: self._nothing_to_apply(conn, migrations), "reading the bookkeeping table"):
                return  # the common boot: no lock, one query
            with self._global_lock(conn):
                if conn.dialect == "postgres":  # SQLite: inside each schema phase's write transaction
                    database_error(lambda: ledger.create(conn), "creating the bookkeeping table")
                self._refuse_out_of_order(conn, migrations)
                for migration in migrations:
                    self._apply_one(conn, migration)
        finally:
            conn.close()

    def _nothing_to_apply(self, conn: Connection, migrations: list[MigrationFile]) -> bool:
        applied = ledger.rows(conn)
        for migration in migrations:
            row = applied.get(migration.version)
            if row is None:
                return False
            _check_unchanged(migration, row)
        return True

    def _refuse_out_of_order(self, conn: Connection, migrations: list[MigrationFile]) -> None:
        """A new file numbered below one already applied was probably merged late: applying
        it now runs it after migrations written later. Refused unless allowed."""
        applied = ledger.rows(conn)
        if not applied or self.allow_out_of_order:
            return
        highest = max(applied.values(), key=lambda r: r.version)
        late = [m for m in migrations if m.version not in applied and m.version < highest.version]
        if late:
            raise RunnerError(f"{late[0].path}: version {late[0].version} is new but {highest.version}_{highest.name} "
                              f"is already applied; renumber it above {highest.version}, or run with "
                              "--allow-out-of-order to apply it anyway", 2)

    @contextmanager
    def _global_lock(self, conn: Connection):
        """Postgres: a session advisory lock around all schema phases. SQLite: an OS lock on
        a file beside the database, held while this process lives (so racers wait for the
        schema phases instead of timing out, and a killed holder frees it at once), plus each
        schema phase's BEGIN EXCLUSIVE."""
        if conn.dialect != "postgres":
            with _file_lock(self.db.path + ".lintmig-lock", self.timeouts.lease):
                yield
            return
        conn.execute("SELECT pg_advisory_lock(?)", (_ADVISORY_KEY,))
        try:
            yield
        finally:
            conn.rollback()
            conn.execute("SELECT pg_advisory_unlock(?)", (_ADVISORY_KEY,))

    def _apply_one(self, conn: Connection, migration: MigrationFile) -> None:
        started, attempt = time.monotonic(), 0
        while True:
            # Short lock waits first: a busy table sees stalls of a fraction of a second,
            # growing to --lock-timeout, until --lock-wait has passed.
            lock_timeout = schema_lock_timeout(self.timeouts, attempt)
            try:
                conn.begin(exclusive=True)
                if conn.dialect == "postgres":
                    conn.set_local("lock_timeout", lock_timeout)
                    conn.set_local("statement_timeout", self.timeouts.statement)
                    conn.set_local("idle_in_transaction_session_timeout", self.timeouts.idle_in_transaction)
                else:
                    ledger.create(conn)
                row = ledger.get(conn, migration.version)
                if row is not None:  # another runner applied it while we waited for the lock
                    conn.rollback()
                    _check_unchanged(migration, row)
                    return
                self._run_schema(conn, migration)
                ledger.record_schema(conn, migration.version, migration.name, migration.checksum, migration.has_work)
                conn.commit()
                self.report.applied.append(migration.label)
                log.info("applied %s", migration.label)
                return
            except RunnerError:
                conn.rollback()
                raise
            except Exception as err:
                conn.rollback()
                if conn.is_lock_timeout(err) and time.monotonic() - started < self.timeouts.lock_wait:
                    log.warning("%s: lock not granted within %.1fs (%s); retrying", migration.label, lock_timeout,
                                str(err).strip().splitlines()[0])
                    backoff(attempt)
                    attempt += 1
                    continue
                raise RunnerError(f"{migration.path}: schema phase failed, nothing of it was applied: "
                                  f"{type(err).__name__}: {str(err).strip()}") from None

    def _run_schema(self, conn: Connection, migration: MigrationFile) -> None:
        for statement in migration.statements:
            conn.execute(statement)
        if migration.schema is not None:
            migration.schema(SchemaContext(conn, migration.path))

    # -- data and background work ---------------------------------------------------------

    def _work_in_background(self) -> None:
        try:
            self.work(wait=True)
        except RunnerError as err:
            log.error("%s", err)
        except Exception:  # a daemon thread must not die silently
            log.exception("lintmig background work stopped")

    def work(self, wait: bool = True) -> Report:
        """Do pending data/background work in migration order; with `wait`, return only when
        all of it is done (or has failed), waiting out other live runners' leases."""
        by_version = {m.version: m for m in self.migrations}
        failed_now: set[int] = set()
        conn = self.db.connect(f"work {self.owner}")
        try:
            self._upgrade_bookkeeping(conn)
            while not self.stopping.is_set():
                rows = [r for r in database_error(lambda: ledger.rows(conn), "reading the bookkeeping table").values()
                        if r.state != "done"]
                if not rows:
                    return self.report
                row = rows[0]  # later work may rely on earlier work: strictly in order
                if row.state == "failed" and row.failures >= self.max_failures:
                    message = (f"{row.name} ({row.version}): data work failed {row.failures} time(s), no more "
                               f"automatic retries: {row.error}; run `lintmig run --retry-failed` once the cause is fixed")
                    self.report.failed.append(message)
                    raise RunnerError(message)
                migration = by_version.get(row.version)
                if migration is None:
                    raise RunnerError(f"migration {row.version}_{row.name} has unfinished work but its file "
                                      f"is not in {self.folder}", 2)
                _check_unchanged(migration, row)
                token = self._claim(conn, row)
                if token is not None:
                    if not self._do_work(conn, migration, token):
                        failed_now.add(row.version)
                    continue
                if row.state == "failed" and not wait and row.version not in failed_now:
                    return self.report
                if row.state == "failed":
                    due = time.strftime("%H:%M:%S", time.localtime(row.retry_after or time.time()))
                    message = (f"{row.name} ({row.version}): data work failed {row.failures} time(s): {row.error}; "
                               f"next automatic retry after {due}, or run `lintmig run --retry-failed`")
                    self.report.failed.append(message)
                    raise RunnerError(message)
                if not wait:
                    return self.report
                time.sleep(self.poll)
            return self.report
        finally:
            conn.close()

    def _upgrade_bookkeeping(self, conn: Connection) -> None:
        try:
            if ledger.table_exists(conn):
                ledger.add_missing_columns(conn)
        except Exception as err:
            if not conn.is_lock_timeout(err):  # busy: another runner is adding them
                raise database_error_of(err, "adding columns to the bookkeeping table") from None

    def _claim(self, conn: Connection, row: ledger.Row) -> Optional[int]:
        """The fencing token of a won claim, or None (a busy SQLite writer counts as lost)."""
        try:
            return ledger.claim(conn, row, self.owner, self.timeouts.lease, self.max_failures)
        except Exception as err:
            if conn.is_lock_timeout(err):
                return None
            raise database_error_of(err, f"claiming the work of {row.name}") from None

    def _do_work(self, conn: Connection, migration: MigrationFile, token: int) -> bool:
        lost = threading.Event()
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(migration.version, token, lost, stop), daemon=True)
        beat.start()
        if conn.dialect == "postgres":  # lets a later runner tell our index builds stale or not
            conn.execute(f"SET application_name = 'lintmig v{int(migration.version)} t{int(token)}'")
        try:
            row = ledger.get(conn, migration.version)
            steps = 0
            for phase in ("data", "background"):
                function = getattr(migration, phase)
                if function is not None:
                    m = WorkContext(conn, row, self.owner, self.timeouts, lost, phase, first_step=steps, token=token,
                                    stopping=self.stopping,
                                    open_monitor=lambda: self.db.connect(f"monitor {self.owner}"))
                    function(m)
                    steps = m.steps_taken
            ledger.finish(conn, migration.version, self.owner, token)
            self.report.finished.append(migration.label)
            log.info("finished the work of %s", migration.label)
            return True
        except LeaseLost as err:
            if self.stopping.is_set():
                conn.rollback()
                database_error(lambda: ledger.release(conn, migration.version, self.owner, token), "releasing work")
                log.info("%s: stopped; the work is handed back at step %s", migration.label, err)
                return True
            log.warning("%s: this runner lost its lease and stops; another runner carries on (%s)", migration.label, err)
            return True  # we look at the table again
        except (KeyboardInterrupt, SystemExit):
            conn.rollback()
            try:
                ledger.release(conn, migration.version, self.owner, token)
            except Exception:  # going down anyway: the lease runs out instead
                pass
            raise
        except Exception as err:
            conn.rollback()
            message = f"{type(err).__name__}: {str(err).strip()}"
            if conn.is_connection_lost(err):
                raise RunnerError(f"{migration.label}: lost the connection to the database during its work "
                                  f"({message}); the work resumes from its last saved step on the next run") from None
            database_error(lambda: ledger.fail(conn, migration.version, self.owner, token, message),
                           "recording a failure")
            log.error("%s: work failed: %s", migration.label, message)
            return False
        finally:
            stop.set()
            beat.join()

    def _heartbeat(self, version: int, token: int, lost: threading.Event, stop: threading.Event) -> None:
        conn = self.db.connect(f"heartbeat {self.owner}")
        try:
            while not stop.wait(self.timeouts.lease / 3):
                for attempt in range(3):
                    try:
                        if not ledger.heartbeat(conn, version, self.owner, token, self.timeouts.lease):
                            lost.set()
                            return
                        break
                    except Exception as err:  # a busy database: try again before the lease runs out
                        log.warning("heartbeat: %s", err)
                        backoff(attempt)
        finally:
            conn.close()


@contextmanager
def _file_lock(path: str, report_every: float):
    """An exclusive OS lock on `path`, waited for as long as its holder lives."""
    try:
        import fcntl
    except ImportError:  # no fcntl (Windows): each schema phase's BEGIN EXCLUSIVE alone
        yield
        return
    try:
        handle = open(path, "a")
    except OSError as err:
        raise RunnerError(f"{path}: cannot open the runner's lock file beside the database: {err.strerror}", 2) from None
    try:
        reported = None
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if reported is None or time.monotonic() - reported >= report_every:
                    log.info("waiting for another runner's schema phases (%s)", os.path.basename(path))
                    reported = time.monotonic()
                time.sleep(0.1)
        yield
    finally:
        handle.close()  # closing releases the lock


def _write_ahead_log(conn: Connection) -> None:
    """WAL lets the application read while background work writes, and makes each small
    batch's commit one sync instead of several. The mode is kept in the database file."""
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    except Exception as err:  # another connection is busy switching it: it will be WAL anyway or next time
        log.info("could not switch SQLite to WAL now: %s", err)


def _check_unchanged(migration: MigrationFile, row: ledger.Row) -> None:
    if row.checksum != migration.checksum:
        raise RunnerError(f"{migration.path}: changed after it was applied (recorded checksum "
                          f"{row.checksum[:12]}, file now {migration.checksum[:12]}); write a new migration "
                          "instead of editing an applied one", 2)


def status(url: str, folder: Optional[str] = None) -> list[dict]:
    """Per migration: schema applied (when), work state and progress; with a folder, also the
    migrations not applied yet and the files changed since."""
    db = open_database(url, create=False)
    conn = db.connect("status")
    try:
        rows = ledger.rows(conn)
    finally:
        conn.close()
    files = {m.version: m for m in load_folder(folder, db.dialect)} if folder else {}
    report = []
    for version in sorted(set(rows) | set(files)):
        row, migration = rows.get(version), files.get(version)
        entry = {"version": version, "name": row.name if row else migration.name,
                 "schema": "applied" if row else "pending", "applied_at": row.applied_at if row else None,
                 "work": row.state if row else None, "step": row.step if row else 0,
                 "rows_done": row.rows_done if row else 0, "owner": row.owner if row else None,
                 "lease_until": row.lease_until if row else None, "failures": row.failures if row else 0,
                 "error": row.error if row else None, "retry_after": row.retry_after if row else None,
                 "changed": bool(row and migration and row.checksum != migration.checksum)}
        report.append(entry)
    return report
