"""The contract between the stages: findings keep the operation they judge, names resolve
as Python resolves them, settings survive blocks, kinds are a closed set. One test per
wrong verdict this contract used to allow."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, make_config
from lintmig.engine import lint_paths

HEAD = '''\
"""a revision"""
from alembic import op
import sqlalchemy as sa

revision = "b1"
down_revision = None
'''


def lint(tmp_path: Path, text: str, name: str = "b1_change.py", **options):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return lint_paths([str(path)], make_config(**options)).findings


def live(findings, code):
    return [f for f in findings if f.code == code and f.suppressed is None]


def test_a_plain_index_build_in_a_helper_beside_a_safe_call_is_not_safe(tmp_path):
    found = lint(tmp_path, HEAD + '''
from lintmig.alembic import backfill


def _add(table):
    backfill(table, set="domain = lower(email)", where="domain IS NULL")
    op.create_index("ix_" + table + "_domain", table, ["domain"])


def upgrade():
    _add("users")
''')
    assert [f.table for f in live(found, "LM101")] == ["users"]


@pytest.mark.parametrize("sql,code", [
    ("CREATE INDEX ix_items_a ON items (a)", "LM101"),
    ("UPDATE items SET total = price * quantity", "LM301"),
    ("ALTER TABLE items ALTER COLUMN total TYPE bigint", "LM111"),
])
def test_plain_sql_in_background_is_judged_like_any_step(tmp_path, sql, code):
    found = lint(tmp_path, f'''
def schema(m):
    pass


def background(m):
    m.execute("{sql}")
''', name="0002_items.py")
    assert [f.table for f in live(found, code)] == ["items"]


def test_a_shadowed_helper_is_not_trusted(tmp_path):
    found = lint(tmp_path, HEAD + '''
from lintmig.alembic import backfill


def backfill(table, **kw):
    op.execute("UPDATE users SET domain = lower(email)")


def upgrade():
    backfill("users", set="x", where="y")
''')
    assert [f.table for f in live(found, "LM301")] == ["users"]
    found = lint(tmp_path, HEAD + '''
from lintmig.alembic import backfill


def upgrade():
    backfill = make_local_helper()
    backfill("users", set="domain = lower(email)")
''')
    assert not any(f.suppressed and f.suppressed.by == "safe-runner" for f in found)


def test_the_runner_backfill_is_bounded_and_never_said_to_lack_a_where(tmp_path):
    found = lint(tmp_path, '''
def schema(m):
    m.execute("ALTER TABLE users ADD COLUMN domain text")


def data(m):
    m.backfill("users", set="domain = split_part(email, '@', 2)", where="domain IS NULL")
''', name="0003_users_domain.py")
    assert not [f for f in found if f.code in ("LM301", "LM302")]
    assert not any("no WHERE" in f.message for f in found)


def test_a_concurrent_build_through_m_execute_in_data_is_an_error(tmp_path):
    found = lint(tmp_path, '''
def schema(m):
    pass


def data(m):
    m.execute("CREATE INDEX CONCURRENTLY ix_users_a ON users (a)")
''', name="0004_users_ix.py")
    errors = [f for f in found if f.code == "LM401" and f.severity == "error" and f.suppressed is None]
    assert errors, [(f.code, f.message) for f in found]


ENV_UNUSED_SET = '''
from alembic import context

HELP = "SET lock_timeout = '3s' before running this by hand"


def run_migrations_online():
    context.configure(connection=None)
'''
ENV_CONFIGURE = '''
from alembic import context
from lintmig.alembic import configure


def run_migrations_online():
    with engine.connect() as connection:
        configure(context, connection, target_metadata=None)
'''
ENV_LISTENER = '''
from alembic import context
from sqlalchemy import event, text


def run_migrations_online():
    with engine.connect() as connection:
        connection.execute(text("SET lock_timeout = '2s'"))
'''


@pytest.mark.parametrize("env,fires", [(ENV_UNUSED_SET, True), (ENV_CONFIGURE, False), (ENV_LISTENER, False)])
def test_env_py_settings_are_read_from_what_it_executes(tmp_path, env, fires):
    (tmp_path / "alembic").mkdir()
    (tmp_path / "alembic" / "env.py").write_text(env)
    found = lint(tmp_path, HEAD + '''

def upgrade():
    op.add_column("orders", sa.Column("note", sa.Text()))
''', name="alembic/versions/b1_note.py")
    assert bool(live(found, "LM402")) is fires


def test_sqlalchemy_constructs_are_recognised_by_name_not_by_substring(tmp_path):
    found = lint(tmp_path, HEAD + '''

def upgrade():
    op.execute(sa.schema.CreateIndex(sa.Index("ix_orders_a", orders.c.a)))
    op.execute(sa.insert(orders).values(a=1))
    op.execute(sa.DDL("CREATE INDEX ix_orders_b ON orders (b)"))
''')
    assert [f.span.line for f in found if f.code == "LM004"] == [10]
    assert [f.table for f in live(found, "LM101")] == ["orders"]


def test_set_local_survives_a_batch_block(tmp_path):
    found = lint(tmp_path, HEAD + '''

def upgrade():
    op.execute("SET LOCAL lock_timeout = '3s'")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text()))
    op.add_column("orders", sa.Column("note2", sa.Text()))
''')
    assert live(found, "LM402") == []


def test_unsafe_ack_after_annotated_revision_identifiers_is_in_the_header(tmp_path):
    found = lint(tmp_path, '''\
"""add index"""
from typing import Sequence, Union

from alembic import op

revision: str = "b2"
down_revision: Union[str, None] = "b1"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None
# migration-unsafe-ack: the orders table holds forty rows in every deployment we run


def upgrade() -> None:
    op.create_index("ix_orders_a", "orders", ["a"])
''')
    assert [f.code for f in found if f.suppressed is None] == []
    assert {f.code for f in found if f.suppressed and f.suppressed.by == "unsafe-ack"} >= {"LM101"}


def test_an_edited_earlier_migration_changes_the_verdict_in_the_same_process(tmp_path):
    app = tmp_path / "shop" / "migrations"
    app.mkdir(parents=True)
    initial = ("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
               "    initial = True\n    operations = [migrations.CreateModel('Order', fields=[('id', "
               "models.BigAutoField(primary_key=True)), ('a', models.{field})])]\n")
    (app / "0001_initial.py").write_text(initial.format(field="CharField(max_length=10)"))
    (app / "0002_alter.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [migrations.AlterField('order', 'a', models.CharField(max_length=20))]\n")
    config = make_config(select=["LM111"])
    first = lint_paths([str(app / "0002_alter.py")], config).findings
    (app / "0001_initial.py").write_text(initial.format(field="IntegerField()"))
    second = lint_paths([str(app / "0002_alter.py")], config).findings
    assert [f.code for f in first] == [] and [f.code for f in second] == ["LM111"]


def test_a_misspelt_kind_in_applies_to_is_a_catalog_error():
    from lintmig.catalog import CatalogError, parse_rule

    rule = {"code": "LM101", "name": "non-concurrent-index", "class": "scale", "severity": "error",
            "applies_to": ["create_indx"], "summary": "s", "why": "w", "use_instead": "u",
            "examples": {"bad": [{"sql": "x"}]}}
    with pytest.raises(CatalogError, match="create_indx"):
        parse_rule(rule, "rules/LM101-non-concurrent-index.yaml")


def test_every_operation_the_fixtures_produce_has_a_declared_kind():
    from lintmig.engine import extract_all
    from lintmig.discover import paths_to_files
    from lintmig.model import KINDS

    seen = set()
    for dialect in ("postgres", "sqlite", "mysql"):
        config = make_config(dialect=dialect, embedded=["**/*.go", "**/*.ts", "**/*.rs"])
        for mig in extract_all(paths_to_files([str(FIXTURES)], config).files, config):
            seen |= {op.kind for op in mig.operations}
    assert seen <= KINDS, seen - KINDS
    assert len(seen) > 25


def test_a_new_front_end_is_one_registry_entry(tmp_path, monkeypatch):
    """A made-up host format (`.toysql`, read as SQL) needs only its entry in the table."""
    from lintmig.extract import registry

    toy = registry.FrontEnd("toy", "sql", (".toysql",), lambda text: True, registry.FRONT_ENDS[0].extract)
    monkeypatch.setattr(registry, "FRONT_ENDS", (*registry.FRONT_ENDS, toy))
    path = tmp_path / "0001_toy.toysql"
    path.write_text("CREATE INDEX ix_orders_a ON orders (a);\n")
    found = lint_paths([str(path)], make_config(select=["LM101"])).findings
    assert [(f.code, f.table) for f in found] == [("LM101", "orders")]


def test_the_hook_pattern_covers_what_the_front_ends_read():
    import re

    import yaml

    from conftest import ROOT

    pattern = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]["files"]
    for path in ("db/0001.sql", "x.sql", "app/migrations/0002_x.py", "alembic/versions/a1_x.py",
                 "db/runner/0001_x.py", "migrate/0003.py"):
        assert re.search(pattern, path), path
    for path in ("db/README.md", "db/seed.json", "app/models.py", "setup.py", "cmd/main.go"):
        assert not re.search(pattern, path), path


def _imports(package: Path) -> dict[str, set[str]]:
    """Module -> the lintmig modules it imports, at module level or inside functions."""
    import ast

    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = here.split(".")[:len(here.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            deps |= {t for t in targets if t in modules and t != name}
        graph[name] = deps
    return graph


def test_no_import_cycle_in_lintmig():
    from conftest import ROOT

    graph = _imports(ROOT / "lintmig")
    state: dict[str, int] = {}

    def visit(module: str, path: tuple[str, ...]) -> None:
        state[module] = 1
        for dep in sorted(graph[module]):
            assert state.get(dep) != 1, "import cycle: " + " -> ".join(path + (module, dep))
            if dep not in state:
                visit(dep, path + (module,))
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, ())


def test_checks_read_facts_never_the_configuration():
    import ast

    from conftest import ROOT

    for path in sorted((ROOT / "lintmig" / "checks").glob("lm*.py")):
        tree = ast.parse(path.read_text())
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert not names & {"config", "_config", "Config"}, path.name


def test_checking_never_writes_to_the_extracted_operations():
    from lintmig.discover import paths_to_files
    from lintmig.engine import check_all, extract_all
    from lintmig.suppress import apply

    config = make_config()
    migrations = extract_all(paths_to_files([str(FIXTURES / "sql" / "postgres"), str(FIXTURES / "alembic")],
                                            config).files, config)

    def snapshot():
        return [(m.path, [(o.kind, o.table, o.span, repr(o.args), o.anchor, o.txn, o.deliberate_no_txn,
                           o.in_loop, o.safe_call) for o in m.operations]) for m in migrations]

    before = snapshot()
    first = apply(check_all(migrations, config), migrations, config)
    second = apply(check_all(migrations, config), migrations, config)
    assert snapshot() == before
    assert [(f.code, f.path, f.span) for f in first] == [(f.code, f.path, f.span) for f in second]


def test_transactions_are_typed_values_in_every_front_end():
    from lintmig.discover import paths_to_files
    from lintmig.engine import extract_all
    from lintmig.model import TXN_KINDS, Txn

    kinds = set()
    for dialect, mode in (("postgres", "none"), ("postgres", "per_file"), ("sqlite", "none"), ("mysql", "none")):
        config = make_config(dialect=dialect, embedded=["**/*.go", "**/*.ts", "**/*.rs"], sql_transaction=mode)
        for mig in extract_all(paths_to_files([str(FIXTURES)], config).files, config):
            for op in mig.operations:
                assert op.txn is None or (isinstance(op.txn, Txn) and op.txn.kind in TXN_KINDS), op.txn
                kinds |= {op.txn.kind} if op.txn else set()
    assert kinds >= {"explicit", "file", "do_block", "migration", "runner_schema", "runner_step"}


def _all_operations():
    """Every operation every front end produces from the fixtures, the examples and the
    rule catalog's examples, in every dialect."""
    from lintmig import catalog
    from lintmig.discover import paths_to_files
    from lintmig.engine import extract_all
    from lintmig.extract import extract_text
    from conftest import ROOT
    from test_catalog import WRAP

    for dialect in ("postgres", "sqlite", "mysql"):
        config = make_config(dialect=dialect, embedded=["**/*.go", "**/*.ts", "**/*.rs"])
        for mig in extract_all(paths_to_files([str(FIXTURES), str(ROOT / "examples")], config).files, config):
            yield from ((mig.path, op) for op in mig.operations)
    for rule in catalog.load().values():
        for example in (rule.examples.get("bad") or []) + (rule.examples.get("good") or []):
            host = next(h for h in catalog.HOSTS if h in example)
            if host == "config":
                continue
            name, head, indent = WRAP[host]
            body = "".join(indent + line for line in example[host].splitlines(keepends=True))
            config = make_config(dialect=example.get("dialect", "postgres"))
            mig = extract_text(name, head + body + ("\n    ]\n" if host == "django" else "\n"), config)
            yield from ((f"{rule.code} example", op) for op in mig.operations)


def test_every_front_end_produces_only_declared_fields():
    from lintmig.model import field_problems

    problems = sorted({f"{where}: {p}" for where, op in _all_operations() for p in field_problems(op.kind, op.args)})
    assert problems == []


def test_a_flag_the_front_end_cannot_evaluate_is_unknown_not_false(tmp_path):
    found = lint(tmp_path, HEAD + '''
CONCURRENT = settings.use_concurrent_builds()


def upgrade():
    op.create_index("ix_orders_a", "orders", ["a"], postgresql_concurrently=CONCURRENT)
    op.create_index("ix_orders_b", "orders", ["b"], postgresql_concurrently=False)
''')
    messages = {f.span.line: f.message for f in found if f.code == "LM101"}
    assert set(messages) == {12, 13}  # unknown is judged as not concurrent: never a silent pass
    assert "could not tell from the code whether it runs CONCURRENTLY" in messages[12] and "could not tell" not in messages[13]


def test_a_django_null_the_front_end_cannot_evaluate_is_unknown(tmp_path):
    app = tmp_path / "shop" / "migrations"
    app.mkdir(parents=True)
    (app / "0001_initial.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n"
        "    operations = [migrations.CreateModel('Order', fields=[('id', models.BigAutoField(primary_key=True))])]\n")
    found = lint(tmp_path, "from django.db import migrations, models\nfrom shop.settings import NULLABLE\n\n\n"
                 "class Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n"
                 "    operations = [migrations.AddField('order', 'region', models.CharField(max_length=2, null=NULLABLE))]\n",
                 name="shop/migrations/0002_region.py")
    assert [f.code for f in found if f.code == "LM113"] == ["LM113"]
    assert "whether the column allows NULL" in next(f.message for f in found if f.code == "LM113")
