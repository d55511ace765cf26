"""What counts as one change: a path run judges each migration against the ones before it;
diff mode judges the migrations a change adds as one change."""
from __future__ import annotations

import pytest

from conftest import as_ci, feature_branch, make_config, write_folder
from lintmig.engine import lint_change, lint_paths

CREATE = "CREATE TABLE orders (id bigint PRIMARY KEY, a int);\n"
INDEX = "CREATE INDEX ix_orders_a ON orders (a);\n"


def test_a_folder_run_judges_each_migration_against_the_ones_before_it(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_create.sql").write_text(CREATE)
    (folder / "0002_index.sql").write_text(INDEX)
    (folder / "0003_both.sql").write_text(CREATE.replace("orders", "invoices") + INDEX.replace("orders", "invoices"))
    found = lint_paths([str(folder)], make_config(select=["LM101"])).findings
    assert [(f.path.rsplit("/", 1)[-1], f.table) for f in found] == [("0002_index.sql", "orders")]


def test_in_diff_mode_the_migrations_a_change_adds_are_one_change(tmp_path, monkeypatch):
    repo = feature_branch(tmp_path / "repo", {"db/migrations/0000_base.sql": "SELECT 1;\n"})
    (repo / "db" / "migrations" / "0001_create.sql").write_text(CREATE)
    (repo / "db" / "migrations" / "0002_index.sql").write_text(INDEX)
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    assert lint_change(make_config(select=["LM101"]), None, False, []).findings == []


def test_lm005_is_about_versioned_migrations_never_boot_time_code(tmp_path, monkeypatch):
    go = ('package db\n\nfunc migrate(db *sql.DB) {\n'
          '\tdb.Exec("CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY)")\n}\n')
    repo = feature_branch(tmp_path / "repo", {"cmd/db.go": go})
    (repo / "cmd" / "db.go").write_text(go.replace(
        "}\n", '\tdb.Exec("CREATE INDEX IF NOT EXISTS ix_orders_a ON orders (a)")\n}\n', 1))
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    found = lint_change(make_config(embedded=["cmd/*.go"], select=["LM005", "LM101"]), None, False, []).findings
    assert [(f.code, f.table) for f in found] == [("LM101", "orders")]


BOOT = '''package ingestor

func migrate(db *sql.DB) error {
\tif !obsExists {
\t\tdb.Exec(`CREATE TABLE IF NOT EXISTS observations (id INTEGER PRIMARY KEY, observer_idx INTEGER, timestamp INTEGER)`)
\t}
\treturn nil
}
'''


def test_boot_time_code_a_create_if_not_exists_does_not_make_the_table_new(tmp_path, monkeypatch):
    """The seed incident: an index added to a boot-time Go migrator on a 1.9M-row table."""
    repo = feature_branch(tmp_path / "repo", {"cmd/ingestor/db.go": BOOT})
    (repo / "cmd" / "ingestor" / "db.go").write_text(BOOT.replace("\treturn nil", (
        "\tdb.Exec(`CREATE INDEX IF NOT EXISTS idx_observations_observer_idx_timestamp "
        "ON observations(observer_idx, timestamp)`)\n\treturn nil")))
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    config = make_config(dialect="sqlite", embedded=["cmd/ingestor/db.go"])
    found = lint_change(config, None, False, []).findings
    assert [(f.code, f.table) for f in found if f.suppressed is None] == [("LM102", "observations")]
    # A path run of the whole file: the create runs at every boot, so it makes nothing new.
    assert [(f.code, f.table) for f in lint_paths([str(repo / "cmd" / "ingestor" / "db.go")], config).findings
            if f.code == "LM102"] == [("LM102", "observations")]


def test_a_type_change_is_judged_against_the_type_an_earlier_migration_gave(tmp_path):
    folder = write_folder(tmp_path, {
        "0001_create.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, ref varchar(20), n int);\n",
        "0002_widen.sql": "ALTER TABLE orders ALTER COLUMN ref TYPE varchar(40);\n",
        "0003_text.sql": "ALTER TABLE orders ALTER COLUMN ref TYPE text;\n",
        "0004_narrow.sql": "ALTER TABLE orders ALTER COLUMN ref TYPE varchar(10);\n",
        "0005_bigint.sql": "ALTER TABLE orders ALTER COLUMN n TYPE bigint;\n",
        "0006_renamed.sql": "ALTER TABLE orders RENAME COLUMN n TO total;\nALTER TABLE orders ALTER COLUMN total TYPE bigint;\n",
    })
    found = lint_paths([str(folder)], make_config(select=["LM111"])).findings
    assert [(f.path.rsplit("/", 1)[-1], f.span.line) for f in found] == [
        ("0004_narrow.sql", 1), ("0005_bigint.sql", 1)]
    assert "from text to varchar(10)" in found[0].message and "from int to bigint" in found[1].message


def test_diff_mode_replays_the_migrations_before_the_change(tmp_path, monkeypatch):
    repo = feature_branch(tmp_path / "repo", {
        "db/migrations/0001_create.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, ref varchar(20));\n",
        "db/migrations/0009_later.sql": "ALTER TABLE orders ALTER COLUMN ref TYPE text;\n"})
    (repo / "db" / "migrations" / "0002_widen.sql").write_text("ALTER TABLE orders ALTER COLUMN ref TYPE varchar(40);\n")
    (repo / "db" / "migrations" / "0003_narrow.sql").write_text("ALTER TABLE orders ALTER COLUMN ref TYPE varchar(5);\n")
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    found = lint_change(make_config(select=["LM111", "LM101"]), None, False, []).findings
    # 0009 sorts after the change's files: it is not the schema they run against.
    assert [(f.path.rsplit("/", 1)[-1], f.code) for f in found] == [("0003_narrow.sql", "LM111")]
    assert "from varchar(40) to varchar(5)" in found[0].message


def test_diff_mode_follows_alembic_ancestors(tmp_path, monkeypatch):
    head = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "{rev}"\ndown_revision = {down}\n\n\ndef upgrade():\n'
    repo = feature_branch(tmp_path / "repo", {
        "alembic/versions/ffff_create.py": head.format(rev="r1", down="None")
        + '    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.String(20)))\n'})
    (repo / "alembic" / "versions" / "aaaa_alter.py").write_text(
        head.format(rev="r2", down='"r1"') + '    op.alter_column("notes", "body", type_=sa.String(40))\n'
        '    op.create_index("ix_notes_body", "notes", ["body"])\n')
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    found = lint_change(make_config(select=["LM111", "LM101"]), None, False, []).findings
    # The table exists (created by an ancestor revision): the index is flagged, the widening is not.
    assert [(f.code, f.table) for f in found] == [("LM101", "notes")]


def test_set_not_null_after_a_check_validated_in_an_earlier_migration_is_cheap(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_check.sql").write_text(
        "ALTER TABLE orders ADD CONSTRAINT orders_ref_not_null CHECK (ref IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_ref_not_null;\n")
    (folder / "0002_not_null.sql").write_text("ALTER TABLE orders ALTER COLUMN ref SET NOT NULL;\n")
    (folder / "0003_other.sql").write_text("ALTER TABLE orders ALTER COLUMN note SET NOT NULL;\n")
    found = lint_paths([str(folder)], make_config(select=["LM114"])).findings
    assert [f.path.rsplit("/", 1)[-1] for f in found] == ["0003_other.sql"]


def test_system_catalogs_are_not_user_tables(tmp_path):
    path = tmp_path / "0001_fix_index.sql"
    path.write_text("UPDATE pg_index SET indisready = TRUE WHERE indexrelid = 'ix_a'::regclass;\n"
                    "UPDATE pg_catalog.pg_class SET relhasindex = true;\n"
                    "UPDATE orders SET a = 1;\n")
    found = lint_paths([str(path)], make_config(select=["LM301"])).findings
    assert [f.table for f in found] == ["orders"]


DJANGO_INITIAL = ("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
                  "    initial = True\n    operations = [migrations.CreateModel('Tunnel', fields=[\n"
                  "        ('id', models.BigAutoField(primary_key=True))])]\n")


def test_django_blank_strings_and_many_to_many_add_no_not_null_column(tmp_path):
    app = tmp_path / "vpn" / "migrations"
    app.mkdir(parents=True)
    (app / "0001_initial.py").write_text(DJANGO_INITIAL)
    (app / "0002_fields.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('vpn', '0001_initial')]\n    operations = [\n"
        "        migrations.AddField('tunnel', 'description', models.CharField(max_length=200, blank=True)),\n"
        "        migrations.AddField('tunnel', 'comments', models.TextField(blank=True)),\n"
        "        migrations.AddField('tunnel', 'tags', models.ManyToManyField(to='extras.tag')),\n"
        "        migrations.AddField('tunnel', 'priority', models.IntegerField(blank=True)),\n    ]\n")
    found = lint_paths([str(app / "0002_fields.py")], make_config(select=["LM113"])).findings
    assert [f.span.line for f in found] == [10]  # only the IntegerField: blank does not fill ints


def test_a_django_squash_beside_the_migrations_it_replaces_is_not_replayed_twice(tmp_path):
    # The squash describes the state after 0003; 0002 widens a column that 0003 drops. The
    # state before 0002 is 0001's alone: replaying the squash too would lose the old column.
    app = tmp_path / "vpn" / "migrations"
    app.mkdir(parents=True)
    head = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
    (app / "0001_initial.py").write_text(
        head + "    initial = True\n    operations = [migrations.CreateModel('Tunnel', fields=[\n"
        "        ('id', models.BigAutoField(primary_key=True)), ('icon', models.CharField(max_length=1))])]\n")
    (app / "0001_squashed_0003.py").write_text(
        head + "    replaces = [('vpn', '0001_initial'), ('vpn', '0002_icon'), ('vpn', '0003_drop_icon')]\n"
        "    operations = [migrations.CreateModel('Tunnel', fields=[('id', models.BigAutoField(primary_key=True))])]\n")
    (app / "0002_icon.py").write_text(
        head + "    dependencies = [('vpn', '0001_initial')]\n"
        "    operations = [migrations.AlterField('tunnel', 'icon', models.CharField(max_length=16))]\n")
    found = lint_paths([str(app / "0002_icon.py")], make_config(select=["LM004", "LM111", "LM402"])).findings
    # a widened varchar: the lock, no rewrite, and no "old definition unknown"
    assert [(f.code, f.span.line) for f in found] == [("LM402", 6)]


# Django names a join table `<model table>_<field>` and cuts a name longer than the database
# allows to its first characters and 4 hex digits of the name's md5 (truncate_name).
@pytest.mark.parametrize("dialect, expected", [
    ("postgres", "vpn_tunnelconfigurationwithaverylongname_allowedupstreamres2613"),  # 63 at most
    ("mysql", "vpn_tunnelconfigurationwithaverylongname_allowedupstreamreso2613"),  # 64
    ("sqlite", "vpn_tunnelconfigurationwithaverylongname_allowedupstreamresolvers"),  # no limit
])
def test_dropping_a_many_to_many_field_drops_its_join_table_by_the_name_django_gave_it(tmp_path, dialect, expected):
    app = tmp_path / "vpn" / "migrations"
    app.mkdir(parents=True)
    (app / "0001_initial.py").write_text(DJANGO_INITIAL.replace(
        "'Tunnel', fields=[", "'TunnelConfigurationWithAVeryLongName', fields=[\n"
        "        ('allowedupstreamresolvers', models.ManyToManyField(to='vpn.resolver')),"))
    (app / "0002_drop.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('vpn', '0001_initial')]\n    operations = [\n"
        "        migrations.RemoveField('tunnelconfigurationwithaverylongname', 'allowedupstreamresolvers'),\n    ]\n")
    found = lint_paths([str(app)], make_config(select=["LM201", "LM202"], dialect=dialect)).findings
    assert [(f.code, f.table) for f in found] == [("LM202", expected)]


def test_a_table_copied_in_the_same_migration_is_not_in_use(tmp_path):
    """Lemmy's combined tables: CREATE TABLE ... AS, then its constraints and indexes."""
    path = tmp_path / "up.sql"
    path.write_text("CREATE TABLE inbox_combined AS SELECT id, published FROM comment_reply;\n"
                    "ALTER TABLE inbox_combined ADD PRIMARY KEY (id);\n"
                    "ALTER TABLE inbox_combined ADD CONSTRAINT ic_fk FOREIGN KEY (id) REFERENCES comment_reply (id);\n"
                    "CREATE INDEX ix_inbox_published ON inbox_combined (published);\n"
                    "UPDATE inbox_combined SET published = now();\n"
                    "ALTER TABLE comment_reply RENAME TO comment_reply_old;\n"
                    "ALTER TABLE inbox_combined RENAME TO comment_reply;\n"
                    "CREATE INDEX ix_reply_published ON comment_reply (published);\n")
    found = lint_paths([str(path)], make_config(select=["LM101", "LM115", "LM116", "LM301"])).findings
    # The copy is filled, so a whole-table UPDATE of it still costs; once swapped in, it is in use.
    assert [(f.code, f.span.line) for f in found] == [("LM301", 5), ("LM101", 8)]


def test_django_row_by_row_rewrites_through_variables_and_bulk_update(tmp_path):
    app = tmp_path / "shop" / "migrations"
    app.mkdir(parents=True)
    (app / "0001_initial.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n"
        "    operations = [migrations.CreateModel('Order', fields=[('id', models.BigAutoField(primary_key=True)),"
        " ('region', models.CharField(max_length=2, null=True))])]\n")
    (app / "0002_fill.py").write_text(
        "from django.db import migrations\n\n\ndef fill(apps, schema_editor):\n"
        "    Order = apps.get_model('shop', 'Order')\n"
        "    pending = Order.objects.filter(region__isnull=True)\n"
        "    for order in pending.iterator():\n"
        "        order.region = 'eu'\n"
        "        order.save()\n"
        "    orders = list(Order.objects.all())\n"
        "    for o in orders:\n"
        "        o.region = 'us'\n"
        "    Order.objects.bulk_update(orders, ['region'])\n"
        "    for o in orders:\n"
        "        print(o.region)\n\n\n"
        "class Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]\n")
    found = lint_paths([str(app / "0002_fill.py")], make_config(select=["LM301"])).findings
    assert [(f.span.line, f.table) for f in found] == [(7, "shop_order"), (13, "shop_order")]


def test_statements_whose_answer_is_at_hand_are_not_lm004(tmp_path):
    path = tmp_path / "0001_misc.sql"
    path.write_text("DROP FUNCTION a(), b(int);\nDROP EXTENSION IF EXISTS pg_trgm;\n"
                    "ALTER TRIGGER trg ON orders RENAME TO trg2;\n")
    found = lint_paths([str(path)], make_config(select=["LM004", "LM402"])).findings
    assert [(f.code, f.span.line) for f in found] == [("LM402", 3)]  # the rename locks orders briefly
    app = tmp_path / "app" / "migrations"
    app.mkdir(parents=True)
    (app / "0002_sql.py").write_text(
        "from django.db import migrations\n\nSQL = 'CREATE INDEX CONCURRENTLY ix_app_a ON app_a (a)'\n\n\n"
        "class Migration(migrations.Migration):\n    atomic = False\n    operations = [\n"
        "        migrations.RunSQL(SQL, migrations.RunSQL.noop),\n"
        "        migrations.RunSQL(migrations.RunSQL.noop, migrations.RunSQL.noop),\n    ]\n")
    found = lint_paths([str(app / "0002_sql.py")], make_config(select=["LM004", "LM101"])).findings
    assert found == []  # the constant is read (a concurrent build), the noop runs nothing


def test_staged_edit_of_a_migration_added_earlier_on_the_branch_is_not_lm005(tmp_path, monkeypatch):
    from conftest import git

    repo = feature_branch(tmp_path / "repo", {"db/migrations/0001_base.sql": "SELECT 1;\n"})
    (repo / "db" / "migrations" / "0002_new.sql").write_text(CREATE)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first step of the feature")
    (repo / "db" / "migrations" / "0002_new.sql").write_text(CREATE + "ALTER TABLE orders ADD COLUMN b int;\n")
    (repo / "db" / "migrations" / "0001_base.sql").write_text("SELECT 1;\nCREATE INDEX ix_orders_a ON orders (a);\n")
    git(repo, "add", ".")
    monkeypatch.chdir(repo)
    found = lint_change(make_config(select=["LM005"]), None, True, []).findings
    # 0001 is on the base branch (applied somewhere): an edit to it is LM005; 0002 is not.
    assert [f.path.rsplit("/", 1)[-1] for f in found] == ["0001_base.sql"]


def test_attach_partition_scan_is_skipped_by_a_validated_check_from_before(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_table.sql").write_text("CREATE TABLE m_2024 (id bigint, at date);\n")
    (folder / "0002_check.sql").write_text(
        "ALTER TABLE m_2024 ADD CONSTRAINT m_2024_bound CHECK (at >= '2024-01-01' AND at < '2025-01-01') NOT VALID;\n"
        "ALTER TABLE m_2024 VALIDATE CONSTRAINT m_2024_bound;\n")
    (folder / "0003_attach.sql").write_text("ALTER TABLE m ATTACH PARTITION m_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n")
    assert lint_paths([str(folder)], make_config(select=["LM104"])).findings == []
    (folder / "0002_check.sql").unlink()
    found = lint_paths([str(folder)], make_config(select=["LM104"])).findings
    assert [(f.path.rsplit("/", 1)[-1], f.table) for f in found] == [("0003_attach.sql", "m")]


def test_boot_time_index_added_after_a_conditional_create_is_judged_in_diff_mode(tmp_path, monkeypatch):
    """The seed incident's shape: a boot-time Go migrator creates its table inside an
    `if !exists {}` block at every start; a pull request adds an index build further down."""
    base = ('package db\n\nfunc applySchema(db *sql.DB, exists bool) {\n'
            '\tif !exists {\n'
            '\t\tdb.Exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, source INTEGER, at INTEGER)`)\n'
            '\t\tdb.Exec(`CREATE INDEX idx_events_at ON events(at)`)\n'
            '\t}\n}\n')
    repo = feature_branch(tmp_path / "repo", {"cmd/ingest/db.go": base})
    (repo / "cmd" / "ingest" / "db.go").write_text(base.replace("\t}\n}\n", (
        "\t}\n\tif !done(db, \"events_source_at_v1\") {\n"
        "\t\tdb.Exec(`CREATE INDEX IF NOT EXISTS idx_events_source_at ON events(source, at)`)\n\t}\n}\n")))
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    found = lint_change(make_config(dialect="sqlite", embedded=["cmd/**/*.go"]), None, False, []).findings
    assert [(f.code, f.table, f.span.line) for f in found] == [("LM102", "events", 9)]


def test_files_named_for_their_database_are_read_with_its_dialect_against_its_own_schema(tmp_path, capsys):
    """The Ory/gobuffalo layout: one file per database for each migration."""
    import json

    from lintmig.cli import main

    files = {
        "0001_init.postgres.up.sql": "CREATE TABLE networks (id int, name text);\n",
        "0001_init.mysql.up.sql": "CREATE TABLE networks (id int, name varchar(10));\n",
        "0001_init.sqlite3.up.sql": "CREATE TABLE networks (id int, name text);\n",
        "0001_init.cockroach.up.sql": "CREATE TABLE networks (id INT8, name STRING);\n",
        "0001_init.down.sql": "DROP TABLE networks;\n",
        "0002_ix.postgres.up.sql": "CREATE INDEX ix ON networks (name);\n",
        # MySQL's own syntax: read as PostgreSQL it would be LM004.
        "0002_ix.mysql.up.sql": "ALTER TABLE networks MODIFY name varchar(5), ALGORITHM=INPLACE, LOCK=NONE;\n",
        "0002_ix.sqlite3.up.sql": "CREATE INDEX ix ON networks (name);\n",
        "0002_ix.cockroach.up.sql": "CREATE INDEX ix ON networks (name) USING HASH;\n",
        # No PostgreSQL version beside it: the name alone does not take it out of the rules.
        "0003_alone.sqlite.up.sql": "CREATE INDEX ix2 ON networks (id);\n",
    }
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, sql in files.items():
        (folder / name).write_text(sql)
    main(["check", "--no-cache", "--format", "json", "--select", "LM004,LM101,LM102,LM111", str(folder)])
    doc = json.loads(capsys.readouterr().out)
    assert (doc["files_scanned"], doc["files_skipped"]) == (7, 3)  # the down file and two CockroachDB ones
    found = [(f["path"].rsplit("/", 1)[-1], f["code"]) for f in doc["findings"]]
    assert found == [("0002_ix.mysql.up.sql", "LM111"), ("0002_ix.postgres.up.sql", "LM101"),
                     ("0002_ix.sqlite3.up.sql", "LM102"), ("0003_alone.sqlite.up.sql", "LM101")]
    # Against MySQL's own table, not the one the SQLite file (read after it) made.
    assert "from varchar(10) to varchar(5)" in doc["findings"][0]["message"]


@pytest.mark.parametrize("name, siblings, configured, expected", [
    ("0002_x.mysql.up.sql", ["0002_x.up.sql"], "postgres", "mysql"),  # pop's file for every database
    ("0002_x.mariadb.sql", ["0002_x.pg.sql"], "postgres", "mysql"),
    ("0002_x.postgresql.sql", ["0002_x.mysql.sql"], "mysql", "postgres"),
    ("0002_x.mysql.up.sql", [], "postgres", "postgres"),  # nothing beside it: the configured one
    ("0002_x.crdb.up.sql", ["0002_x.postgres.up.sql"], "postgres", ""),
    ("0002_x.crdb.up.sql", [], "postgres", "postgres"),
    ("mysql.sql", ["postgres.sql"], "postgres", "postgres"),  # the migration's own name is not a database
    ("0002_mysql_users.sql", [], "postgres", "postgres"),
])
def test_a_database_in_a_file_name_counts_only_beside_the_configured_databases_version(
        tmp_path, name, siblings, configured, expected):
    from lintmig.dialects import dialect_for

    for sibling in siblings:
        (tmp_path / sibling).write_text("SELECT 1;\n")
    (tmp_path / name).write_text("SELECT 1;\n")
    assert dialect_for(str(tmp_path / name), configured) == expected


def test_a_django_app_label_other_than_its_folder_names_the_tables(tmp_path):
    """wagtail/images/migrations belong to the app labelled wagtailimages: the label comes
    from the dependency on the folder's own earlier migration, not from another app's
    `0001_initial` of the same name."""
    head = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
    app = write_folder(tmp_path, {
        "0001_initial.py": head + "    initial = True\n    dependencies = [('wagtailcore', '0001_initial')]\n"
        "    operations = [migrations.CreateModel('Rendition', fields=[('id', models.AutoField(primary_key=True)),"
        " ('width', models.IntegerField())])]\n",
        "0002_index.py": head + "    dependencies = [('wagtailcore', '0001_initial'), ('wagtailimages', '0001_initial')]\n"
        "    operations = [migrations.AlterField('rendition', 'width', models.BigIntegerField()),\n"
        "                  migrations.AddIndex('rendition', models.Index(fields=['width'], name='r_w'))]\n",
    }, "images/migrations")
    found = lint_paths([str(app)], make_config(select=["LM101", "LM111"])).findings
    assert [(f.code, f.table) for f in found] == [("LM111", "wagtailimages_rendition"),
                                                  ("LM101", "wagtailimages_rendition")]


def test_django_alter_model_table_to_the_name_it_has_changes_nothing(tmp_path):
    """Django skips an AlterModelTable to the table's own name; table=None renames the
    table back to its default name."""
    head = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
    app = write_folder(tmp_path, {
        "0001_initial.py": head + "    initial = True\n    dependencies = []\n"
        "    operations = [migrations.CreateModel('Basket', fields=[('id', models.AutoField(primary_key=True))],"
        " options={'db_table': 'baskets'})]\n",
        "0002_same.py": head + "    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [migrations.AlterModelTable(name='basket', table='baskets')]\n",
        "0003_default.py": head + "    dependencies = [('shop', '0002_same')]\n"
        "    operations = [migrations.AlterModelTable(name='basket', table=None)]\n",
    }, "shop/migrations")
    found = lint_paths([str(app)], make_config(select=["LM204"])).findings
    assert [(f.path.rsplit("/", 1)[-1], f.message.split(" breaks")[0]) for f in found] == [
        ("0003_default.py", "renaming table baskets to shop_basket")]


def test_a_table_renamed_to_its_own_name_keeps_its_keys_once():
    """A rename whose old and new names are one table copies no key onto itself (it once
    copied each key forever)."""
    from lintmig.facts import ChangeFacts
    from lintmig.model import Migration, Operation, Span

    span = Span(1, 1, 1, 1)
    ops = [Operation("create_table", "a", span, {"keys": [["id"]]}),
           Operation("rename_table", "a", span, {"new_name": "a"}),
           Operation("update", "a", span, {"bounds": [["id"]]})]
    facts = ChangeFacts([Migration(path="m.sql", host="sql", dialect="postgres", operations=ops)], make_config())
    assert facts.keys["a"] == [(1, ("id",))]
    assert facts.table_keys("a", ops[2]) == [("id",)]


def test_a_renamed_table_names_its_key_once(tmp_path):
    folder = write_folder(tmp_path, {"0001_create.sql": "CREATE TABLE old_t (id bigint PRIMARY KEY, v int);\n",
                                "0002_rename.sql": "ALTER TABLE old_t RENAME TO t;\n",
                                "0003_fill.sql": "UPDATE t SET v = 1 WHERE v = 2;\n"})
    found = lint_paths([str(folder)], make_config(select=["LM301"])).findings
    assert [f.message.split(" with values")[0] for f in found] == [
        "UPDATE of existing table t is not bounded: its WHERE does not bound the table's key (id)"]


def test_django_fields_of_other_packages_may_set_null_themselves(tmp_path):
    """NullBooleanField is nullable without null=True; a field class lintmig does not know
    (oscar's NullCharField sets null=True in its own __init__) is judged NOT NULL, saying so."""
    head = "from django.db import migrations, models\nimport shop.fields\n\n\nclass Migration(migrations.Migration):\n"
    app = write_folder(tmp_path, {
        "0001_initial.py": head + "    initial = True\n    dependencies = []\n"
        "    operations = [migrations.CreateModel('Basket', fields=[('id', models.AutoField(primary_key=True))])]\n",
        "0002_fields.py": head + "    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [migrations.AddField('basket', 'open', models.NullBooleanField()),\n"
        "                  migrations.AddField('basket', 'code', shop.fields.NullCharField(max_length=20)),\n"
        "                  migrations.AddField('basket', 'ref', models.CharField(max_length=20))]\n",
    }, "shop/migrations")
    found = lint_paths([str(app)], make_config(select=["LM113"])).findings
    assert [(f.span.line, "could not tell" in f.message) for f in found] == [(8, True), (9, False)]


def test_blank_on_a_field_class_of_another_package_says_the_rows_may_get_empty_strings(tmp_path):
    """Django fills a NOT NULL string column with '' when blank=True; whether a class it does
    not know is a string field, lintmig cannot tell: still judged, and the message says why."""
    head = "from django.db import migrations, models\nimport utilities.fields\n\n\nclass Migration(migrations.Migration):\n"
    app = write_folder(tmp_path, {
        "0001_initial.py": head + "    initial = True\n    dependencies = []\n"
        "    operations = [migrations.CreateModel('Rack', fields=[('id', models.AutoField(primary_key=True))])]\n",
        "0002_fields.py": head + "    dependencies = [('dcim', '0001_initial')]\n"
        "    operations = [migrations.AddField('rack', 'color', utilities.fields.ColorField(blank=True, max_length=6)),\n"
        "                  migrations.AddField('rack', 'tint', utilities.fields.ColorField(max_length=6)),\n"
        "                  migrations.AddField('rack', 'label', models.CharField(blank=True, max_length=6))]\n",
    }, "dcim/migrations")
    found = lint_paths([str(app)], make_config(select=["LM113"])).findings
    assert [(f.span.line, "fills the existing rows with ''" in f.message) for f in found] == [(7, True), (8, False)]


def test_a_partitioned_table_is_known_from_the_migration_that_made_it(tmp_path):
    """PostgreSQL refuses CONCURRENTLY on a partitioned table (LM406), so LM101 points at the
    per-partition build instead; a rename keeps the table partitioned, a table made again
    under the name without PARTITION BY is not."""
    folder = write_folder(tmp_path, {
        "0001_create.sql": "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n",
        "0002_index.sql": "CREATE INDEX ix_events_at ON events (at);\nCREATE INDEX CONCURRENTLY ix_events_id ON events (id);\n",
        "0003_rename.sql": "ALTER TABLE events RENAME TO events_old;\n",
        "0004_index.sql": "CREATE INDEX CONCURRENTLY ix_events_old_at ON events_old (at);\n",
        "0005_again.sql": "CREATE TABLE events (id bigint, at date);\n",
        "0006_index.sql": "CREATE INDEX CONCURRENTLY ix_events_at2 ON events (at);\n",
    })
    found = lint_paths([str(folder)], make_config()).findings
    by_file = {}
    for f in found:
        by_file.setdefault(f.path.rsplit("/", 1)[-1], set()).add((f.code, f.span.line))
    lm101 = next(f for f in found if f.code == "LM101")
    assert "ON ONLY events" in lm101.message and "partitioned table events" in lm101.message
    assert ("LM406", 2) in by_file["0002_index.sql"] and ("LM406", 1) not in by_file["0002_index.sql"]
    assert ("LM406", 1) in by_file["0004_index.sql"]
    assert not any(code == "LM406" for code, _ in by_file.get("0006_index.sql", ()))


def test_primary_key_using_index_scans_only_for_columns_not_yet_not_null(tmp_path):
    """ADD PRIMARY KEY USING INDEX marks the key columns NOT NULL: a scan under ACCESS
    EXCLUSIVE for a nullable one (LM114), none for a column that is NOT NULL already."""
    folder = write_folder(tmp_path, {
        "0001_create.sql": "CREATE TABLE orders (id bigint NOT NULL, ref text);\n",
        "0002_keys.sql": ("CREATE UNIQUE INDEX CONCURRENTLY orders_id_uix ON orders (id);\n"
                          "ALTER TABLE orders ADD CONSTRAINT orders_pk PRIMARY KEY USING INDEX orders_id_uix;\n"),
        "0003_keys.sql": ("CREATE UNIQUE INDEX CONCURRENTLY orders_ref_uix ON orders (ref);\n"
                          "ALTER TABLE orders ADD CONSTRAINT orders_ref_pk PRIMARY KEY USING INDEX orders_ref_uix;\n"),
    })
    found = [f for f in lint_paths([str(folder)], make_config()).findings if f.code == "LM114"]
    assert [f.path.rsplit("/", 1)[-1] for f in found] == ["0003_keys.sql"]
    assert "makes ref NOT NULL, scanning" in found[0].message  # known nullable: no 'could not tell'
