"""Compat rules (LM2xx): changes that break the release still running during a deploy,
judged against the schema the earlier migrations leave, and the two-release recipes that
avoid them passing clean."""
from __future__ import annotations

import json

from conftest import as_ci, feature_branch, make_config, write_folder
from lintmig.engine import lint_change, lint_paths

COMPAT = ["LM201", "LM202", "LM203", "LM204", "LM205", "LM206", "LM207", "LM208"]


def _found(folder, **options) -> list[tuple[str, str, str]]:
    """(file, code, table) of every compat finding of a path run over the folder."""
    config = make_config(select=COMPAT, **options)
    return [(f.path.rsplit("/", 1)[-1], f.code, f.table) for f in lint_paths([str(folder)], config).findings
            if f.suppressed is None]


DJANGO = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
INITIAL = DJANGO + """    initial = True
    operations = [migrations.CreateModel('Order', fields=[
        ('id', models.BigAutoField(primary_key=True)),
        ('note', models.TextField(null=True)),
        ('legacy', models.IntegerField()),
        ('region', models.CharField(max_length=10, db_column='region_code')),
        ('total', models.IntegerField(null=True)),
    ])]
"""


def _django(deps: str, body: str) -> str:
    return DJANGO + f"    dependencies = [('shop', '{deps}')]\n    operations = [\n{body}    ]\n"


def test_django_two_release_drop_passes_clean(tmp_path):
    folder = write_folder(tmp_path, {
        "0001_initial.py": INITIAL,
        # Release 1: the code stops using the field; the database keeps the column.
        "0002_retire_note.py": _django("0001_initial", "        migrations.SeparateDatabaseAndState(\n"
                                       "            state_operations=[migrations.RemoveField('order', 'note')]),\n"),
        # Release 2: the column goes.
        "0003_drop_note.py": _django("0002_retire_note", "        migrations.SeparateDatabaseAndState(database_operations=[\n"
                                     "            migrations.RunSQL('ALTER TABLE shop_order DROP COLUMN note')]),\n"),
    }, "shop/migrations")
    assert _found(folder) == []


def test_django_drop_without_retiring_first_and_a_not_null_retirement_are_flagged(tmp_path):
    folder = write_folder(tmp_path, {
        "0001_initial.py": INITIAL,
        "0002_remove.py": _django("0001_initial", "        migrations.RemoveField('order', 'note'),\n"
                                  "        migrations.SeparateDatabaseAndState(\n"
                                  "            state_operations=[migrations.RemoveField('order', 'legacy')]),\n"),
    }, "shop/migrations")
    assert _found(folder) == [("0002_remove.py", "LM201", "shop_order"), ("0002_remove.py", "LM206", "shop_order")]


def test_django_renames_that_keep_the_column_are_not_breaking_and_alterfield_after_rename_is_read(tmp_path):
    folder = write_folder(tmp_path, {
        "0001_initial.py": INITIAL,
        "0002_rename.py": _django("0001_initial",
                                  "        migrations.RenameField('order', 'region', 'area'),\n"  # db_column kept
                                  "        migrations.RenameField('order', 'total', 'amount'),\n"
                                  "        migrations.AlterField('order', 'amount', models.BigIntegerField(null=True)),\n"),
    }, "shop/migrations")
    found = lint_paths([str(folder)], make_config()).findings
    assert [(f.code, f.table) for f in found if f.code in COMPAT] == [("LM203", "shop_order")]
    assert "amount" in next(f.message for f in found if f.code == "LM203")
    assert not [f for f in found if f.code == "LM004"]


def test_sql_type_changes_are_judged_against_the_type_an_earlier_migration_gave(tmp_path):
    folder = write_folder(tmp_path, {
        "0001_create.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, ref varchar(40), qty int, note text);\n",
        "0002_narrow.sql": "ALTER TABLE orders ALTER COLUMN ref TYPE varchar(20);\n",
        "0003_widen.sql": "ALTER TABLE orders ALTER COLUMN ref TYPE text;\nALTER TABLE orders ALTER COLUMN qty TYPE bigint;\n",
        "0004_kind.sql": "ALTER TABLE orders ALTER COLUMN note TYPE integer USING note::integer;\n",
    })
    assert _found(folder) == [("0002_narrow.sql", "LM205", "orders"), ("0004_kind.sql", "LM205", "orders")]


def test_not_null_recipe_first_step_is_flagged_second_is_clean(tmp_path):
    folder = write_folder(tmp_path, {
        "0001_create.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, region text);\n",
        "0002_check.sql": "ALTER TABLE orders ADD CONSTRAINT orders_region_nn CHECK (region IS NOT NULL) NOT VALID;\n",
        "0003_enforce.sql": "ALTER TABLE orders VALIDATE CONSTRAINT orders_region_nn;\n"
                            "ALTER TABLE orders ALTER COLUMN region SET NOT NULL;\n",
    })
    assert _found(folder) == [("0002_check.sql", "LM206", "orders")]
    # The validated CHECK from an earlier migration also makes SET NOT NULL cheap (LM114).
    found = lint_paths([str(folder)], make_config(select=["LM114"])).findings
    assert found == []


def test_mysql_modify_restating_null_ness_is_a_change_only_when_the_history_says_so(tmp_path):
    folder = write_folder(tmp_path, {
        "0001_create.sql": "CREATE TABLE items (id bigint PRIMARY KEY, qty bigint NOT NULL, note varchar(20));\n",
        "0002_modify.sql": "ALTER TABLE items MODIFY COLUMN qty bigint NOT NULL DEFAULT 0;\n",
        "0003_narrow.sql": "ALTER TABLE items MODIFY COLUMN qty int NOT NULL;\n",
        "0004_nullable.sql": "ALTER TABLE items MODIFY COLUMN qty int NULL;\n",
        "0005_rename.sql": "ALTER TABLE items CHANGE COLUMN note memo varchar(20);\n",
    })
    assert _found(folder, dialect="mysql") == [
        ("0003_narrow.sql", "LM205", "items"), ("0004_nullable.sql", "LM208", "items"),
        ("0005_rename.sql", "LM203", "items")]


def test_what_the_change_itself_made_can_be_dropped_or_renamed(tmp_path, monkeypatch):
    repo = feature_branch(tmp_path / "repo", {"db/migrations/0000_base.sql": "SELECT 1;\n"})
    migrations = repo / "db" / "migrations"
    (migrations / "0001_add.sql").write_text("ALTER TABLE orders ADD COLUMN scratch text;\n"
                                             "CREATE TABLE drafts (id bigint PRIMARY KEY);\n")
    (migrations / "0002_undo.sql").write_text("ALTER TABLE orders DROP COLUMN scratch;\n"
                                              "ALTER TABLE drafts RENAME TO sketches;\nDROP TABLE sketches;\n"
                                              "ALTER TABLE orders DROP COLUMN legacy;\n")
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    found = lint_change(make_config(select=COMPAT), None, False, []).findings
    assert [(f.code, f.span.line) for f in found] == [("LM201", 4)]


def test_compat_findings_need_an_unsafe_ack_not_preflight_or_a_scale_line(tmp_path):
    from lintmig.pullrequest import PullRequest

    folder = write_folder(tmp_path, {
        "0001_preflight.sql": "-- PREFLIGHT: async=true reason=\"orders is tiny\" rules=LM201\n"
                              "ALTER TABLE orders DROP COLUMN legacy;\n",
        "0002_ack.sql": "-- migration-unsafe-ack: release 4.2 stopped reading legacy2 (PR #812)\n"
                        "ALTER TABLE orders DROP COLUMN legacy2;\n",
    })
    pr = PullRequest("PREFLIGHT-MIGRATION-SCALE: <5s N=200 table=orders")
    found = lint_paths([str(folder)], make_config(select=COMPAT + ["LM003"]), pr).findings
    live = [(f.path.rsplit("/", 1)[-1], f.code) for f in found if f.suppressed is None]
    assert ("0001_preflight.sql", "LM201") in live and ("0001_preflight.sql", "LM003") in live
    assert ("0002_ack.sql", "LM201") not in live
    assert [f.suppressed.by for f in found if f.suppressed] == ["unsafe-ack"]


def test_select_ignore_and_configure_the_class_by_name(tmp_path, capsys):
    from lintmig.cli import main

    folder = write_folder(tmp_path, {"0001.sql": "ALTER TABLE orders DROP COLUMN legacy;\nCREATE INDEX ix ON orders (a);\n"})
    assert main(["check", "--no-cache", "--format", "json", "--select", "compat", str(folder)]) == 1
    assert {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]} == {"LM201"}
    assert main(["check", "--no-cache", "--format", "json", "--ignore", "compat", str(folder)]) == 1
    assert "LM201" not in {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    (tmp_path / "cfg.yaml").write_text("rules:\n  compat: warning\n")
    assert main(["check", "--no-cache", "--format", "json", "--config", str(tmp_path / "cfg.yaml"),
                 "--select", "compat", str(folder)]) == 0
    assert [f["severity"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["warning"]


def test_rules_and_explain_list_the_class(capsys):
    from lintmig.cli import main

    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "LM201" in out and "compat" in out
    assert main(["explain", "LM203"]) == 0
    assert "m.backfill" in capsys.readouterr().out


def test_a_foreign_key_has_its_target_primary_key_type_even_in_another_app(tmp_path):
    """A UUIDField turned into a ForeignKey to a model whose key is a UUID changes no type."""
    for pk, expected in (("models.UUIDField(primary_key=True)", []), ("models.BigAutoField(primary_key=True)", ["LM111", "LM205"])):
        root = tmp_path / pk[7:12]
        write_folder(root, {"0001_initial.py": DJANGO + f"    operations = [migrations.CreateModel('Order', fields=[('id', {pk})])]\n"},
                "order/migrations")
        payment = write_folder(root, {
            "0001_initial.py": DJANGO + "    operations = [migrations.CreateModel('Payment', fields=[\n"
                               "        ('id', models.BigAutoField(primary_key=True)), ('order', models.UUIDField(null=True))])]\n",
            "0002_fk.py": DJANGO + "    dependencies = [('payment', '0001_initial'), ('order', '0001_initial')]\n"
                          "    operations = [migrations.AlterField('payment', 'order', models.ForeignKey(\n"
                          "        null=True, on_delete=models.PROTECT, to='order.order', db_column='order'))]\n",
        }, "payment/migrations")
        found = lint_paths([str(payment)], make_config(select=["LM205", "LM111"])).findings
        assert [f.code for f in found] == expected, (pk, [f.message for f in found])


def test_renaming_a_rebuilt_table_into_the_freed_name_completes_a_rebuild(tmp_path):
    folder = write_folder(tmp_path, {
        "0001_copy.sql": "CREATE TABLE _sessions_tmp (id bigint PRIMARY KEY);\n"
                         "INSERT INTO _sessions_tmp SELECT id FROM sessions;\n",
        "0002_drop.sql": "DROP TABLE sessions;\n",
        "0003_swap.sql": "ALTER TABLE _sessions_tmp RENAME TO sessions;\n",
    })
    assert _found(folder, dialect="sqlite") == [("0002_drop.sql", "LM202", "sessions")]
