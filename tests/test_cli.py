"""The command as a user runs it: exit codes, output shapes, bad input."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from lintmig.cli import main

BAD = "CREATE INDEX ix_orders_created ON orders (created_at);\n"
GOOD = "CREATE TABLE t (id bigint PRIMARY KEY);\n"


def run(args, capsys):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def migrations(tmp_path):
    (tmp_path / "0001_good.sql").write_text(GOOD)
    (tmp_path / "0002_bad.sql").write_text(BAD)
    return tmp_path


def test_clean_file_exits_0(migrations, capsys):
    code, out, _ = run(["check", "--no-cache", str(migrations / "0001_good.sql")], capsys)
    assert code == 0
    assert "No problems found (1 file scanned)" in out


def test_finding_exits_1_with_text_lines(migrations, capsys):
    code, out, _ = run(["check", "--no-cache", str(migrations / "0002_bad.sql")], capsys)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{migrations / '0002_bad.sql'}:1:1: LM101 non-concurrent-index ")
    assert out.splitlines()[1].startswith("  help: ")
    assert "\033[" not in out  # no colour when not a terminal


def test_json_shape(migrations, capsys):
    code, out, _ = run(["check", "--no-cache", "--format", "json", str(migrations)], capsys)
    doc = json.loads(out)
    assert code == 1
    assert doc["version"] == 1 and doc["tool"] == "lintmig" and doc["files_scanned"] == 2
    finding = next(f for f in doc["findings"] if f["code"] == "LM101")
    assert set(finding) == {"code", "name", "severity", "path", "line", "column", "end_line", "end_column",
                            "table", "message", "help", "suppressed"}
    assert (finding["line"], finding["column"], finding["end_line"]) == (1, 1, 1)
    assert finding["end_column"] == len(BAD.strip()) - 1  # the statement, without its semicolon
    assert finding["table"] == "orders" and finding["suppressed"] is None
    assert doc["summary"] == {"errors": sum(f["severity"] == "error" for f in doc["findings"]),
                              "warnings": sum(f["severity"] == "warning" for f in doc["findings"]), "suppressed": 0}


def test_select_and_ignore_accept_codes_and_names(migrations, capsys):
    target = str(migrations / "0002_bad.sql")
    _, out, _ = run(["check", "--no-cache", "--format", "json", "--select", "non-concurrent-index", target], capsys)
    assert {f["code"] for f in json.loads(out)["findings"]} == {"LM101"}
    code, out, _ = run(["check", "--no-cache", "--format", "json", "--ignore", "LM101,missing-lock-timeout", target], capsys)
    assert code == 0 and json.loads(out)["findings"] == []


def test_fail_on_warning(tmp_path, capsys):
    path = tmp_path / "0001.sql"
    path.write_text("DROP INDEX CONCURRENTLY IF EXISTS ix;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON orders (a);\n")
    assert run(["check", "--no-cache", str(path)], capsys)[0] == 0  # LM405 is a warning
    assert run(["check", "--no-cache", "--fail-on", "warning", "--select", "LM405", str(path)], capsys)[0] == 0
    path.write_text("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON orders (a);\n")
    assert run(["check", "--no-cache", "--fail-on", "warning", str(path)], capsys)[0] == 1


@pytest.mark.parametrize("argv,needle", [
    (["check", "--no-cache", "does/not/exist.sql"], "does/not/exist.sql: no such file"),
    (["check", "--no-cache", "--select", "LM999", "x.sql"], "unknown rule 'LM999'"),
    (["check", "--no-cache", "--dialect", "oracle", "x.sql"], "invalid choice"),
    (["explain", "no-such-rule"], "unknown rule"),
])
def test_usage_errors_exit_2_without_traceback(argv, needle, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2
    assert needle in err and "Traceback" not in err + out


def test_diff_mode_outside_a_repository_is_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check"], capsys)
    assert code == 2 and "not in a git repository" in err and "Traceback" not in err


def test_bad_files_are_lm001_and_neighbours_still_linted(tmp_path, capsys):
    (tmp_path / "0001_binary.sql").write_bytes(b"\x00\x01\x02CREATE")
    (tmp_path / "0002_latin1.sql").write_bytes("-- caf\xe9\nSELECT 1;".encode("latin-1"))
    (tmp_path / "0003_empty.sql").write_text("")
    (tmp_path / "0004_bad.sql").write_text(BAD)
    (tmp_path / "0005_unterminated.sql").write_text("UPDATE t SET a = 'oops;\n")
    code, out, _ = run(["check", "--no-cache", "--format", "json", str(tmp_path)], capsys)
    doc = json.loads(out)
    by_file = {}
    for f in doc["findings"]:
        by_file.setdefault(Path(f["path"]).name, set()).add(f["code"])
    assert code == 1 and doc["files_scanned"] == 5
    assert by_file["0001_binary.sql"] == {"LM001"}
    assert by_file["0002_latin1.sql"] == {"LM001"}
    assert "0003_empty.sql" not in by_file
    assert "LM101" in by_file["0004_bad.sql"]
    assert by_file["0005_unterminated.sql"] == {"LM001"}


def test_sql_saved_as_utf16_or_utf32_is_read_and_a_broken_one_is_lm001(tmp_path, capsys):
    sql = "BEGIN;\r\n-- add the index\r\nCREATE INDEX ix_orders_a ON orders (a);\r\nCOMMIT;\r\n"
    (tmp_path / "0001_utf16.sql").write_bytes(sql.encode("utf-16"))  # with its byte order mark
    (tmp_path / "0002_utf16be.sql").write_bytes(b"\xfe\xff" + sql.encode("utf-16-be"))
    (tmp_path / "0003_utf32.sql").write_bytes(sql.encode("utf-32"))
    (tmp_path / "0004_cut.sql").write_bytes(sql.encode("utf-16")[:-1])  # an odd number of bytes
    code, out, _ = run(["check", "--no-cache", "--format", "json", "--select", "LM001,LM101", str(tmp_path)], capsys)
    found = sorted((Path(f["path"]).name, f["code"], f["line"], f["message"]) for f in json.loads(out)["findings"])
    assert [f[:3] for f in found] == [("0001_utf16.sql", "LM101", 3), ("0002_utf16be.sql", "LM101", 3),
                                      ("0003_utf32.sql", "LM101", 3), ("0004_cut.sql", "LM001", 1)]
    assert "not UTF-16 text" in found[3][3]


def test_folder_skips_down_files(tmp_path, capsys):
    (tmp_path / "0001_add.up.sql").write_text(GOOD)
    (tmp_path / "0001_add.down.sql").write_text(BAD)
    code, out, _ = run(["check", "--no-cache", str(tmp_path)], capsys)
    assert code == 0 and "1 file scanned" in out


def test_rules_and_explain(capsys):
    code, out, _ = run(["rules"], capsys)
    assert code == 0 and out.splitlines()[0].startswith("LM001  parse-error")
    code, out, _ = run(["explain", "LM101"], capsys)
    assert code == 0
    for needle in ("non-concurrent-index", "Why:", "Use instead:", "m.create_index", "Flagged:", "Not flagged:",
                   "CREATE INDEX ix_orders_created ON orders (created_at);"):
        assert needle in out
    assert run(["explain", "unbounded-update"], capsys)[1].startswith("LM301 unbounded-update")


def test_cache_gives_the_same_findings(migrations, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    cold = run(["check", "--format", "json", str(migrations)], capsys)[1]
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "lintmig"
    assert list(cache.rglob("*.json")) and not (tmp_path / ".lintmig_cache").exists()
    warm = run(["check", "--format", "json", str(migrations)], capsys)[1]
    assert json.loads(cold) == json.loads(warm)
    (migrations / "0001_good.sql").write_text(BAD)  # content change: re-read
    changed = json.loads(run(["check", "--format", "json", str(migrations)], capsys)[1])
    assert sum(f["code"] == "LM101" for f in changed["findings"]) == 2


def test_what_the_extraction_cache_serves_is_judged_as_when_read(tmp_path, monkeypatch, capsys):
    """A Django initial migration's fresh tables (and every other fact of a migration) survive
    the cache: a new migration re-judges the run with the earlier ones served from the cache."""
    import shutil

    from conftest import FIXTURES

    app = tmp_path / "shop" / "migrations"
    shutil.copytree(FIXTURES / "django" / "shop" / "migrations", app)
    monkeypatch.chdir(tmp_path)
    run(["check", "--format", "json", str(app)], capsys)
    (app / "0010_later.py").write_text("from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
                                      "    dependencies = [('shop', '0009_initial_part_two')]\n    operations = []\n")
    warm = json.loads(run(["check", "--format", "json", str(app)], capsys)[1])
    cold = json.loads(run(["check", "--no-cache", "--format", "json", str(app)], capsys)[1])
    assert warm["findings"] == cold["findings"]
    assert [f["code"] for f in cold["findings"] if f["path"].endswith("0009_initial_part_two.py")] == ["LM302"]


def test_no_cache_writes_nothing(migrations, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(["check", "--no-cache", str(migrations)], capsys)
    assert not (Path(os.environ["XDG_CACHE_HOME"]) / "lintmig").exists()


def test_console_script_runs_as_a_module(migrations):
    proc = subprocess.run([sys.executable, "-m", "lintmig", "check", "--no-cache", str(migrations / "0002_bad.sql")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and "LM101" in proc.stdout and not proc.stderr


def test_pr_body_flag_and_show_suppressed(tmp_path, capsys):
    path = tmp_path / "0001.sql"
    path.write_text("SET lock_timeout = '2s';\n" + BAD)
    body = tmp_path / "pr.md"
    body.write_text("PREFLIGHT-MIGRATION-SCALE: <30s N=80K verified on staging\n")
    code, out, _ = run(["check", "--no-cache", "--pr-body", str(body), str(path)], capsys)
    assert code == 0 and "1 suppressed" in out and "LM101" not in out
    code, out, _ = run(["check", "--no-cache", "--pr-body", str(body), "--show-suppressed", str(path)], capsys)
    assert "LM101 non-concurrent-index (suppressed by pr-scale: <30s N=80K verified on staging)" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_run_on_a_terminal_shows_files_read_on_stderr_and_wipes_the_line(tmp_path, monkeypatch):
    from lintmig import progress
    from lintmig.config import Config
    from lintmig.engine import lint_paths

    monkeypatch.setattr(progress, "_DELAY", 0)
    monkeypatch.setattr(progress, "_EVERY", 0)
    for i in range(30):  # enough for the process pool
        (tmp_path / f"{i:04d}_index.sql").write_text(f"CREATE INDEX ix_{i} ON orders (a{i});\n")
    terminal = _Terminal()
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    shown = progress.for_run("text", terminal)
    result = lint_paths([str(tmp_path)], Config(cache=False), progress=shown)
    assert len(result.findings) >= 30
    drawn = terminal.getvalue()
    assert "lintmig: read 30 of 30 files" in drawn and drawn.endswith("\r\033[K")


@pytest.mark.parametrize("fmt, ci, tty", [("json", "", True), ("sarif", "", True), ("text", "true", True),
                                          ("text", "", False)])
def test_progress_never_reaches_ci_logs_machine_formats_or_redirected_streams(fmt, ci, tty, monkeypatch):
    from lintmig import progress

    monkeypatch.setenv("CI", ci) if ci else monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert progress.for_run(fmt, _Terminal() if tty else io.StringIO()) is None


def test_a_run_inside_a_longer_process_leaves_its_collector_alone(tmp_path, capsys):
    """The command line tunes Python's cycle collector for one run and exit; `main` called
    by a process that goes on (a library caller, this suite) must not freeze its objects."""
    import gc

    for i in range(30):  # enough files for the process pool, which disables the collector meanwhile
        (tmp_path / f"{i:04d}_m.sql").write_text(BAD)
    before = (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled())
    code, out, _ = run(["check", "--no-cache", str(tmp_path)], capsys)
    assert code == 1 and "LM101" in out
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == before


def _thirty_files_probed(tmp_path, probe: str, target: str = ""):
    """Thirty unsafe migrations (enough for the process pool), linted by `probe` run in a
    Python process of its own on `target` (default: their folder); it must find all 30."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for i in range(30):
        (tmp_path / f"{i:04d}_m.sql").write_text(BAD)
    done = subprocess.run([sys.executable, "-c", probe, target or str(tmp_path)], capture_output=True, text=True,
                          cwd=ROOT)
    if not target:
        assert done.returncode == 1
        assert sum(f["code"] == "LM101" for f in json.loads(done.stdout)["findings"]) == 30
    return done


def test_the_command_tunes_the_collector_and_finds_the_same(tmp_path):
    # What `entry` does before it ends the process: one run, as the command line makes it.
    probe = ("import gc, sys\nfrom lintmig.collector import one_run_per_process\none_run_per_process()\n"
             "from lintmig.cli import main\ncode = main(['check', '--no-cache', '--format', 'json', sys.argv[1]])\n"
             "print(gc.get_threshold(), gc.get_freeze_count() > 0, file=sys.stderr); sys.exit(code)")
    done = _thirty_files_probed(tmp_path, probe)
    assert done.stderr.strip().splitlines()[-1] == "(5000, 10, 1000) True"


def test_the_command_ends_without_freeing_its_run_and_loses_no_output(tmp_path):
    """`lintmig check` ends its process as soon as the report is written (os._exit, not the
    interpreter's teardown): the whole report still arrives, with the exit code."""
    probe = ("import atexit, sys\natexit.register(lambda: print('teardown ran', file=sys.stderr))\n"
             "sys.argv = ['lintmig', 'check', '--no-cache', '--format', 'json', sys.argv[1]]\n"
             "from lintmig.cli import entry\nsys.exit(entry())")
    assert "teardown ran" not in _thirty_files_probed(tmp_path, probe).stderr
    clean = _thirty_files_probed(tmp_path / "again", probe, str(tmp_path / "absent.sql"))
    assert clean.returncode == 2 and "teardown ran" in clean.stderr  # nothing kept: it exits as usual
