"""Attacks a pull request can make on the gate, each with the input itself: none may run
code, skip a file in silence, crash the run or pass an unsafe migration."""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import as_ci, feature_branch, git, make_config
from lintmig.cli import main

UNSAFE = "CREATE INDEX ix_orders_a ON orders (a);\n"


def run(capsys, *argv):
    code = main(["check", "--format", "json", *argv])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code in (0, 1) else None), err


def codes(report) -> list[tuple[str, str]]:
    return sorted((os.path.basename(f["path"]), f["code"]) for f in report["findings"])


@pytest.fixture
def repo(tmp_path, monkeypatch):
    repo = feature_branch(tmp_path / "repo", {
        "db/migrations/0001_base.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, a int);\n"})
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    return repo


# --- the cache ---------------------------------------------------------------------------

class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {Path.cwd() / 'pwned'}",))


def test_a_committed_pickle_cache_is_never_read(repo, capsys):
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    shard = repo / ".lintmig_cache"
    shard.mkdir()
    for name in ("extract-0.1.0-x-y.pickle", "poison.pickle"):
        (shard / name).write_bytes(pickle.dumps({"0002_index.sql": ("k", _Exploit())}))
    git(repo, "add", "-A", "-f")
    code, report, _ = run(capsys, "db/migrations/0002_index.sql")
    assert code == 1 and ("0002_index.sql", "LM101") in codes(report)
    code, report, _ = run(capsys)  # diff mode too
    assert code == 1 and ("0002_index.sql", "LM101") in codes(report)
    assert not (repo / "pwned").exists()


def test_a_cache_folder_inside_the_repository_is_refused(repo, capsys):
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    code, _, err = run(capsys, "--cache-dir", ".lintmig_cache", "db/migrations/0002_index.sql")
    assert code == 2 and "inside the repository" in err
    (repo / ".lintmig.yaml").write_text("cache: .cache/lintmig\n")
    code, _, err = run(capsys, "db/migrations/0002_index.sql")
    assert code == 2 and "cache: " in err and "inside the repository" in err


def test_xdg_cache_home_inside_the_checkout_is_not_used(repo, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(repo / ".cache"))
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    code, report, _ = run(capsys, "db/migrations/0002_index.sql")
    assert code == 1 and ("0002_index.sql", "LM101") in codes(report)
    assert not (repo / ".cache").exists()


def test_a_poisoned_or_damaged_cache_entry_is_a_miss(repo, capsys, tmp_path):
    folder = tmp_path / "cache"
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    argv = ("--cache-dir", str(folder), "db/migrations/0002_index.sql")
    cold = run(capsys, *argv)[1]
    (extracted,) = folder.glob("extract-v*/*/*.json")
    (results,) = folder.glob("results-v*/*.json")
    key = json.loads(extracted.read_text())["key"]
    run_key = json.loads(results.read_text())["key"]
    damaged = ['{"key": "x", "migration": {"operations": []}}', "not json", "[1, 2]", '{"a": ' * 5000,
               json.dumps({"key": key, "migration": {"operations": [["create_index", 7, [1], {}, "x", 0, 0, 0, 0]]}}),
               json.dumps({"key": key, "migration": None})]
    wrong_results = [json.dumps({"key": run_key, "strings": ["x"], "findings": [[0, 0, 0, 0, 1, 1, 1, 1, 0, 9, -1, 1,
                                                                                 -1, -1, -1]]}),
                     json.dumps({"key": run_key, "strings": ["x"], "findings": [[0, 0, 0, 0, "1", 1, 1, 1, 0, 0, -1, 1,
                                                                                 -1, -1, -1]]}),
                     json.dumps({"key": run_key, "strings": [1], "findings": []}),
                     json.dumps({"key": run_key, "strings": [], "findings": [[]]})]
    for poison in damaged:
        extracted.write_text(poison)
        results.write_text(poison)
        assert run(capsys, *argv)[1] == cold
    for poison in wrong_results:
        results.write_text(poison)
        assert run(capsys, *argv)[1] == cold


def test_a_path_run_served_from_the_results_cache_matches_a_cold_run_and_follows_edits(repo, capsys, tmp_path):
    folder = tmp_path / "cache"
    migrations = repo / "db" / "migrations"
    (migrations / "0002_index.sql").write_text(UNSAFE)
    argv = ("--cache-dir", str(folder), "--format", "json", "db/migrations")
    cold = run(capsys, "--no-cache", "--format", "json", "db/migrations")
    assert run(capsys, *argv) == cold and run(capsys, *argv) == cold  # filled, then served
    # An earlier migration now proves the column has no NULL: SET NOT NULL after it is cheap.
    (migrations / "0003_not_null.sql").write_text("ALTER TABLE orders ALTER COLUMN a SET NOT NULL;\n")
    assert ("0003_not_null.sql", "LM114") in codes(run(capsys, *argv)[1])
    (migrations / "0001_base.sql").write_text(
        "CREATE TABLE orders (id bigint PRIMARY KEY, a int);\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_a_nn CHECK (a IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_a_nn;\n")
    code, report, _ = run(capsys, *argv)
    assert (code, report) == run(capsys, "--no-cache", "--format", "json", "db/migrations")[:2]
    assert ("0003_not_null.sql", "LM114") not in codes(report)
    # A setting is part of the key too.
    assert run(capsys, *argv, "--select", "LM402")[1] == run(capsys, "--no-cache", "--format", "json", "--select",
                                                              "LM402", "db/migrations")[1]


def test_an_edited_front_end_never_serves_stale_results(monkeypatch, tmp_path):
    from lintmig import cache

    before = cache.code_fingerprint()
    fake = tmp_path / "pkg"
    (fake / "extract").mkdir(parents=True)
    (fake / "cache.py").write_text("x = 1\n")
    (fake / "extract" / "sql.py").write_text("y = 1\n")
    monkeypatch.setattr(cache, "__file__", str(fake / "cache.py"))
    first = cache.code_fingerprint()
    (fake / "extract" / "sql.py").write_text("y = 22\n")
    assert cache.code_fingerprint() != first != before


# --- git ---------------------------------------------------------------------------------

AWKWARD = ["0004 add index.sql", "0006_ajouté.sql", "0007_it's.sql", "0008\ttab.sql", "0009\nnewline.sql",
           '0010_"quoted".sql', "-0011_dash.sql"]


@pytest.mark.parametrize("staged", [False, True])
def test_awkward_file_names_are_linted_in_diff_mode(repo, capsys, staged):
    for name in AWKWARD:
        (repo / "db" / "migrations" / name).write_text(UNSAFE)
    if staged:
        git(repo, "add", "-A")
    code, report, _ = run(capsys, *(["--staged"] if staged else []))
    assert code == 1
    flagged = {os.path.basename(f["path"]) for f in report["findings"] if f["code"] == "LM101"}
    assert flagged == set(AWKWARD)
    assert report["files_scanned"] == len(AWKWARD)


def test_awkward_names_committed_and_renamed_keep_their_changed_lines(repo, capsys):
    folder = repo / "db" / "migrations"
    kept = "".join(f"-- note {i}\n" for i in range(10))
    (folder / "0002 ajouté.sql").write_text(kept)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add")
    git(repo, "branch", "-f", "main")
    git(repo, "mv", "db/migrations/0002 ajouté.sql", "db/migrations/0002 renommé.sql")
    (folder / "0002 renommé.sql").write_text(kept + UNSAFE)
    code, report, _ = run(capsys)
    lines = sorted((f["code"], f["line"]) for f in report["findings"])
    assert ("LM101", 11) in lines and ("LM005", 11) in lines


@pytest.mark.parametrize("variable", ["PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF"])
def test_refs_that_look_like_options_are_refused(repo, capsys, monkeypatch, tmp_path, variable):
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    target = tmp_path / "written-by-git"
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", "main")
    monkeypatch.setenv("PRE_COMMIT_TO_REF", "HEAD")
    monkeypatch.setenv(variable, f"--output={target}")
    code, _, err = run(capsys, "--staged", "db/migrations/0002_index.sql")
    assert code == 2 and "not a git revision" in err
    assert not target.exists()
    code, _, err = run(capsys, "--base", f"--output={target}")
    assert code == 2 and not target.exists()


def test_a_gitattributes_that_hides_the_diff_hides_nothing(repo, capsys):
    (repo / ".gitattributes").write_text("*.sql -diff binary\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "attributes")
    git(repo, "branch", "-f", "main")
    path = repo / "db" / "migrations" / "0001_base.sql"
    path.write_text(path.read_text() + "CREATE INDEX ix_customers_a ON customers (a);\n")
    code, report, _ = run(capsys)
    assert [(f["code"], f["line"]) for f in report["findings"] if f["code"] in ("LM101", "LM005")] == \
        [("LM005", 2), ("LM101", 2)]


# --- one file cannot take the run down ----------------------------------------------------

DEEP_PY = "x = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_LAMBDA = "def upgrade():\n    x = " + "lambda: " * 5000 + "1\n# alembic\ndown_revision = None\n"


def _hostile_folder(folder: Path, outside: Path, copies: int = 1) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    outside.write_text("SECRET-TOKEN-1234;\n")
    for i in range(copies):
        (folder / f"{i:04d}_good.sql").write_text(UNSAFE)
    (folder / "0500_deep.py").write_text("from django.db import migrations\nclass Migration(migrations.Migration):\n"
                                         "    operations = []\n" + DEEP_PY)
    (folder / "0501_lambda.py").write_text(DEEP_LAMBDA)
    (folder / "0502_zero.sql").symlink_to("/dev/zero")
    (folder / "0503_outside.sql").symlink_to(outside)
    (folder / "0504_huge.sql").write_bytes(b"-- x\n" * 10)
    return ["0500_deep.py", "0501_lambda.py", "0502_zero.sql", "0503_outside.sql"]


@pytest.mark.parametrize("copies", [1, 30])  # 30: the process pool reads the folder
def test_hostile_files_become_lm001_and_the_good_file_is_still_reported(tmp_path, capsys, copies):
    folder = tmp_path / "migrations"
    bad = _hostile_folder(folder, tmp_path / "secret.sql", copies)
    code, report, _ = run(capsys, "--no-cache", "--max-file-size", "40", str(folder))
    assert code == 1
    found = codes(report)
    for name in bad:
        assert (name, "LM001") in found, name
    assert ("0504_huge.sql", "LM001") in found
    assert sum(1 for name, code in found if code == "LM101") == copies
    assert "SECRET-TOKEN" not in json.dumps(report)
    assert report["files_scanned"] == copies + 5


def _crash_on_0017(job):
    from lintmig.extract import extract_file

    if job[0].endswith("0017_m.sql"):
        import faulthandler

        faulthandler.disable()  # pytest's dump of the worker's stack is noise here
        os.kill(os.getpid(), signal.SIGSEGV)
    return extract_file(*job)


def test_a_crashing_worker_becomes_lm001_for_its_file_only(tmp_path, monkeypatch):
    """A native parser that kills its process (a segfault) on one file of many."""
    from conftest import make_config
    from lintmig import engine
    from lintmig.extract import batch

    folder = tmp_path / "migrations"
    folder.mkdir()
    for i in range(40):
        (folder / f"{i:04d}_m.sql").write_text(UNSAFE)
    monkeypatch.setattr(batch, "_extract_job", _crash_on_0017)
    found = engine.lint_paths([str(folder)], make_config(select=["LM001", "LM101"])).findings
    by_file = {(os.path.basename(f.path), f.code) for f in found}
    assert ("0017_m.sql", "LM001") in by_file and ("0017_m.sql", "LM101") not in by_file
    assert sum(code == "LM101" for _, code in by_file) == 39
    assert "crashed" in next(f.message for f in found if f.code == "LM001")


def test_a_named_symlink_to_a_device_or_fifo_does_not_hang(tmp_path, capsys):
    fifo = tmp_path / "0001_fifo.sql"
    os.mkfifo(fifo)
    code, report, _ = run(capsys, "--no-cache", str(fifo))
    assert code == 1 and codes(report) == [("0001_fifo.sql", "LM001")]
    assert "not a regular file" in report["findings"][0]["message"]


def test_a_symlinked_folder_leaving_the_named_folder_is_not_followed(tmp_path, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "0001_secret.sql").write_text(UNSAFE)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    (folder / "0002_ok.sql").write_text(UNSAFE)
    code, report, _ = run(capsys, "--no-cache", str(folder))
    assert codes(report) == [("0002_ok.sql", "LM101"), ("0002_ok.sql", "LM402")]
    assert report["files_skipped"] == 1


def test_deep_nesting_in_env_py_and_earlier_django_migrations_does_not_crash(tmp_path, capsys):
    project = tmp_path / "alembic"
    (project / "versions").mkdir(parents=True)
    (project / "env.py").write_text(DEEP_PY)
    (project / "versions" / "a1_ix.py").write_text(
        'revision = "a1"\ndown_revision = None\nfrom alembic import op\n\n\ndef upgrade():\n'
        '    op.create_index("ix_a", "orders", ["a"])\n')
    app = tmp_path / "shop" / "migrations"
    app.mkdir(parents=True)
    (app / "0001_initial.py").write_text("from django.db import migrations\nclass Migration(migrations.Migration):\n"
                                         "    operations = []\n" + DEEP_PY)
    (app / "0002_ix.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    operations = [migrations.AddIndex('order', models.Index(fields=['a'], name='order_a'))]\n")
    proc = subprocess.run([sys.executable, "-m", "lintmig", "check", "--no-cache", "--format", "json",
                           str(project / "versions"), str(app / "0002_ix.py")], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    found = codes(json.loads(proc.stdout))
    assert ("a1_ix.py", "LM101") in found and ("0002_ix.py", "LM101") in found


def test_non_utf8_and_deeply_nested_config_files_are_exit_2(repo, capsys):
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    for content in (b"rules:\n  LM101: off\n  \xff\xfe: x\n", b"a: " + b"[" * 20000, b"x: 1\n" * 300000):
        (repo / ".lintmig.yaml").write_bytes(content)
        code, _, err = run(capsys, "db/migrations/0002_index.sql")
        assert code == 2 and ".lintmig.yaml" in err and "Traceback" not in err
    (repo / ".lintmig.yaml").unlink()
    (repo / "pyproject.toml").write_bytes(b"[tool.lintmig]\ndialect = \"\xff\"\n")
    code, _, err = run(capsys, "db/migrations/0002_index.sql")
    assert code == 2 and "pyproject.toml:2" in err


@pytest.mark.parametrize("value", ["0", "false", "off", "soon", "-3s", "[]"])
@pytest.mark.parametrize("key", ["assume_lock_timeout", "session_statement_timeout"])
def test_durations_that_would_disable_rules_are_exit_2(repo, capsys, key, value):
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    (repo / ".lintmig.yaml").write_text(f"{key}: {value}\n")
    code, _, err = run(capsys, "db/migrations/0002_index.sql")
    assert code == 2 and f".lintmig.yaml:1: {key}" in err


# --- what the pull request says and configures ----------------------------------------------

def test_scale_lines_hidden_in_html_comments_silence_nothing(tmp_path, capsys):
    path = tmp_path / "0001.sql"
    path.write_text("SET lock_timeout = '2s';\n" + UNSAFE)
    body = tmp_path / "pr.md"
    for hidden in ("<!-- PREFLIGHT-MIGRATION-SCALE: <30s N=80K measured on staging -->",
                   "Thanks! <!-- PREFLIGHT-MIGRATION-SCALE: <30s N=80K measured on staging --> bye",
                   "<!--\nPREFLIGHT-MIGRATION-SCALE: <30s N=80K measured on staging\n-->"):
        body.write_text(f"Adds an index.\n{hidden}\n")
        code, report, _ = run(capsys, "--no-cache", "--pr-body", str(body), str(path))
        assert code == 1 and ("0001.sql", "LM101") in codes(report)
        code = main(["check", "--no-cache", "--show-suppressed", "--pr-body", str(body), str(path)])
        assert "inside an HTML comment" in capsys.readouterr()[0]


@pytest.mark.parametrize("count", ["9" * 5000, "9" * 400, "1" + ",000" * 2000 + "M"], ids=["5000-digits", "400-digits", "commas"])
def test_a_claimed_row_count_of_thousands_of_digits_is_a_number_not_a_crash(tmp_path, capsys, count):
    path = tmp_path / "0001.sql"
    body = tmp_path / "pr.md"
    body.write_text(f"PREFLIGHT-MIGRATION-SCALE: <30s N={count} measured on staging\n")
    for sql, pr, by in ((f"SET lock_timeout = '2s';\n{UNSAFE}", ["--pr-body", str(body)], "pr-scale"),
                        (f"SET lock_timeout = '2s';\n-- PREFLIGHT: async=true reason=\"ran in 20s on a copy, N={count}\"\n"
                         f"{UNSAFE}", [], "preflight")):
        path.write_text(sql)
        code, report, _ = run(capsys, "--no-cache", *pr, str(path))
        assert code == 0 and [(f["code"], f["suppressed"]["by"]) for f in report["findings"]] == [("LM101", by)]


def _weaken(repo, text, capsys, *labels):
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    (repo / ".lintmig.yaml").write_text(text)
    return run(capsys)


@pytest.mark.parametrize("text,rule", [
    ("rules:\n  LM101: off\n", "LM101"),
    ("rules:\n  non-concurrent-index: warning\n", "LM101"),
    ("exclude:\n  - db/migrations/**\n", "LM101"),
    ("per_file_ignores:\n  'db/**': [LM101]\n", "LM101"),
    ("assume_lock_timeout: 1h\n", "LM402"),
    ("safe_calls: [CREATE]\n", "LM101"),
    ("include:\n  - nothing/**\n", "LM101"),
    ("small_tables: [orders]\n", None),
    ("dialects:\n  'db/**': sqlite\n", "LM101"),  # read as SQLite, the index would be LM102
])
def test_a_change_that_weakens_the_config_is_reported_and_the_base_applies(repo, capsys, text, rule):
    code, report, _ = _weaken(repo, text, capsys)
    assert code == 1
    found = codes(report)
    assert (".lintmig.yaml", "LM006") in found
    if rule:
        assert ("0002_index.sql", rule) in found
        assert all(f["severity"] == "error" for f in report["findings"] if f["code"] == rule)


def test_the_base_label_approves_a_config_change(repo, capsys, tmp_path, monkeypatch):
    (repo / ".lintmig.yaml").write_text("unsafe_ack_label: migration-unsafe-ack\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "label")
    git(repo, "branch", "-f", "main")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"body": "", "labels": [{"name": "migration-unsafe-ack"}]}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    code, report, _ = _weaken(repo, "unsafe_ack_label: migration-unsafe-ack\nrules:\n  LM101: off\n"
                              "  LM402: off\n", capsys)
    assert code == 0 and all(f["suppressed"] for f in report["findings"])
    event.write_text(json.dumps({"pull_request": {"body": "", "labels": [{"name": "other"}]}}))
    code, report, _ = _weaken(repo, "unsafe_ack_label: other\nrules:\n  LM101: off\n", capsys)
    assert code == 1 and ("0002_index.sql", "LM101") in codes(report)  # the head cannot rename the label


def test_outside_diff_mode_the_config_applies_as_written(repo, capsys):
    (repo / ".lintmig.yaml").write_text("rules:\n  LM101: off\n")
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    code, report, _ = run(capsys, "db/migrations/0002_index.sql")
    assert ("0002_index.sql", "LM101") not in codes(report) and (".lintmig.yaml", "LM006") not in codes(report)


# --- files that are not migrations ---------------------------------------------------------

def test_files_that_are_not_migrations_are_skipped_and_counted(tmp_path, capsys):
    (tmp_path / "migrations").mkdir()
    names = {"README.md": "# db\n", "seed.json": '{"a": 1}', "migrations/__init__.py": "# package\n",
             "helpers.py": "def f():\n    return 1\n"}
    for name, text in names.items():
        (tmp_path / name).write_text(text)
    code, report, _ = run(capsys, "--no-cache", *(str(tmp_path / n) for n in names))
    assert code == 0 and report["findings"] == []
    assert report["files_scanned"] == 2 and report["files_skipped"] == 2


def test_a_python_migration_that_does_not_parse_is_lm001(tmp_path, capsys):
    path = tmp_path / "0001_broken.py"
    path.write_text("from django.db import migrations\nclass Migration(migrations.Migration:\n")
    code, report, _ = run(capsys, "--no-cache", str(path))
    assert code == 1 and codes(report) == [("0001_broken.py", "LM001")]


def test_status_never_creates_a_database(tmp_path, capsys):
    target = tmp_path / "typo.db"
    assert main(["status", "--db", f"sqlite:///{target}"]) == 2
    assert "no such database file" in capsys.readouterr().err
    assert not target.exists()


def test_a_foreign_key_target_naming_a_path_reads_nothing_outside(tmp_path):
    """`to=` is an app label and a model: a string shaped like a path is not followed."""
    from conftest import make_config
    from lintmig.engine import lint_paths

    outside = tmp_path / "outside" / "migrations"
    outside.mkdir(parents=True)
    (outside / "0001_initial.py").write_text(
        "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n"
        "    operations = [migrations.CreateModel('Secret', fields=[('id', models.BigAutoField(primary_key=True))])]\n")
    app = tmp_path / "repo" / "shop" / "migrations"
    app.mkdir(parents=True)
    head = "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n"
    (app / "0001_initial.py").write_text(head + "    operations = [migrations.CreateModel('Order', fields=[\n"
                                         "        ('id', models.BigAutoField(primary_key=True)), ('ref', models.UUIDField(null=True))])]\n")
    (app / "0002_fk.py").write_text(head + "    dependencies = [('shop', '0001_initial'), ('../outside', '0001_initial')]\n"
                                    "    operations = [migrations.AlterField('order', 'ref', models.ForeignKey(\n"
                                    "        null=True, on_delete=models.CASCADE, to='../outside.secret', db_column='ref'))]\n")
    found = lint_paths([str(app)], make_config(select=["LM111", "LM205"])).findings
    assert found == []  # the target's key type is unknown: nothing claimed, nothing read from outside


def test_the_results_cache_keeps_only_the_most_recently_used_runs(tmp_path):
    import time

    from lintmig.model import Finding, Span
    from lintmig.results_cache import ResultCache

    cache = ResultCache(tmp_path)
    finding = Finding("LM101", "non-concurrent-index", "error", "a.sql", Span(1, 1, 1, 9), "m", "h")
    first = [f"{i:040x}" for i in range(ResultCache.KEEP)]
    later = [f"{i:040x}" for i in range(ResultCache.KEEP, ResultCache.KEEP + 8)]
    for key in first:
        cache.put(key, [finding])
        time.sleep(0.002)
    assert cache.get(first[0]) is not None  # used again: now among the most recent
    for key in later:
        time.sleep(0.002)
        cache.put(key, [finding])
    kept = {p.stem for p in cache.folder.glob("*.json")}
    assert len(kept) == ResultCache.KEEP and first[0] in kept and set(later) <= kept
    assert not set(first[1:9]) & kept  # the least recently used went first


NESTED_LISTS = 'L = [' + ", ".join(f'"t{i}"' for i in range(60)) + ']\n'


@pytest.mark.parametrize("host", ["alembic", "django"])
def test_nested_loops_over_long_lists_are_not_read_once_per_combination(tmp_path, host):
    # 60 x 60 x 60 = 216,000 passes of the innermost body if every loop were unrolled; a
    # hostile file makes that millions. Past the budget a loop is read once, its name unknown.
    from lintmig.extract import extract_file

    loops = "    for a in L:\n        for b in L:\n            for c in L:\n                {call}\n"
    if host == "alembic":
        path = tmp_path / "versions" / "r1_loops.py"
        text = ('"""loops\n\nRevision ID: r1\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "r1"\n'
                'down_revision = None\n' + NESTED_LISTS + "\n\ndef upgrade():\n"
                + loops.format(call='op.add_column(a + b + c, sa.Column("x", sa.Integer()))'))
    else:
        path = tmp_path / "shop" / "migrations" / "0001_loops.py"
        text = ("from django.db import migrations\n" + NESTED_LISTS + "\n\ndef fill(apps, schema_editor):\n"
                + loops.format(call='schema_editor.execute("UPDATE " + a + b + c + " SET x = 1")') +
                "\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(fill)]\n")
    path.parent.mkdir(parents=True)
    path.write_text(text)
    migration = extract_file(str(path), path.read_bytes(), make_config())
    assert 60 <= len(migration.operations) <= 20_000  # each list value seen, no blow-up


def test_a_helper_called_thousands_of_times_is_read_within_a_budget_and_the_rest_is_said(tmp_path):
    from lintmig.extract import extract_file

    body = "\n".join(f"    op.add_column('t{i}', sa.Column('x', sa.Integer()))" for i in range(200))
    calls = "\n".join("    helper()" for _ in range(500))  # 100,000 operations if each call were read
    path = tmp_path / "versions" / "r1_helper.py"
    path.parent.mkdir(parents=True)
    path.write_text('"""helper\n\nRevision ID: r1\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
                    f'revision = "r1"\ndown_revision = None\n\n\ndef upgrade():\n{calls}\n\n\ndef helper():\n{body}\n')
    ops = extract_file(str(path), path.read_bytes(), make_config()).operations
    assert 200 <= len(ops) <= 20_000
    unread = [op for op in ops if op.kind == "unanalyzable"]
    assert unread and "helper() here is not read" in unread[0].args["reason"]
