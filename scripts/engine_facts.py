"""Measure, on a real PostgreSQL server, what each DDL form does to a table, and print the
markdown table of docs/engine-facts.md: the lock it takes (from pg_locks inside the
statement's transaction), whether it rewrites the table (its relfilenode changes), whether
it reads every row (pg_stat_xact_user_tables.seq_scan), and which lintmig rules flag it.

    python scripts/engine_facts.py > /tmp/pg-facts.md
    python scripts/engine_facts.py --static   # MySQL and SQLite, from their manuals
    python scripts/engine_facts.py --hosts    # Alembic operations and Django operations

Needs the PostgreSQL binaries (initdb, pg_ctl) and psycopg (the `postgres` extra). Forms
that cannot run inside a transaction block (CONCURRENTLY, VACUUM) take the lock the
PostgreSQL documentation names; the script says so instead of measuring them.
"""
from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

SETUP = """
CREATE TABLE parent (id bigint PRIMARY KEY);
INSERT INTO parent SELECT g FROM generate_series(1, 1000) g;
CREATE TABLE t (id bigint PRIMARY KEY, a int, b varchar(20), c text, n numeric(10, 2), ts timestamp,
                p bigint, e text NOT NULL DEFAULT 'x');
INSERT INTO t SELECT g, g, 'v' || g, 'c', g, now(), g FROM generate_series(1, 1000) g;
CREATE INDEX t_a_ix ON t (a);
ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0) NOT VALID;
ALTER TABLE t ADD CONSTRAINT t_b_nn CHECK (b IS NOT NULL) NOT VALID;
ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL);
CREATE UNIQUE INDEX t_id_uix ON t (id);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
CREATE UNIQUE INDEX mv_id ON mv (id);
CREATE TABLE part (id bigint, k int) PARTITION BY RANGE (k);
CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (10);
CREATE TABLE loose (id bigint, k int);
CREATE TYPE hue AS ENUM ('red', 'blue');
CREATE DOMAIN pos AS int;
CREATE TABLE ruled (id bigint PRIMARY KEY, h hue, q pos);
INSERT INTO ruled SELECT g, 'red', g FROM generate_series(1, 1000) g;
CREATE POLICY ruled_p ON ruled USING (true);
CREATE RULE ruled_r AS ON INSERT TO ruled DO ALSO NOTHING;
ANALYZE;
"""

# (form, statement): run on a fresh copy of SETUP each, inside BEGIN ... ROLLBACK.
FORMS = [
    ("ADD COLUMN, no default", "ALTER TABLE t ADD COLUMN x int"),
    ("ADD COLUMN, constant default", "ALTER TABLE t ADD COLUMN x int DEFAULT 0"),
    ("ADD COLUMN, volatile default", "ALTER TABLE t ADD COLUMN x float DEFAULT random()"),
    ("ADD COLUMN NOT NULL, constant default", "ALTER TABLE t ADD COLUMN x int NOT NULL DEFAULT 0"),
    ("ADD COLUMN with inline CHECK", "ALTER TABLE t ADD COLUMN x int CHECK (x > 0)"),
    ("ADD COLUMN with inline REFERENCES", "ALTER TABLE t ADD COLUMN x bigint REFERENCES parent (id)"),
    ("ADD COLUMN GENERATED ALWAYS AS ... STORED", "ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a * 2) STORED"),
    ("DROP COLUMN", "ALTER TABLE t DROP COLUMN c"),
    ("RENAME COLUMN", "ALTER TABLE t RENAME COLUMN c TO c2"),
    ("RENAME TABLE", "ALTER TABLE t RENAME TO t2"),
    ("ALTER COLUMN TYPE varchar(20) -> varchar(40)", "ALTER TABLE t ALTER COLUMN b TYPE varchar(40)"),
    ("ALTER COLUMN TYPE varchar(20) -> text", "ALTER TABLE t ALTER COLUMN b TYPE text"),
    ("ALTER COLUMN TYPE varchar(20) -> varchar(10)", "ALTER TABLE t ALTER COLUMN b TYPE varchar(10)"),
    ("ALTER COLUMN TYPE int -> bigint", "ALTER TABLE t ALTER COLUMN a TYPE bigint"),
    ("ALTER COLUMN TYPE numeric(10,2) -> numeric(12,2)", "ALTER TABLE t ALTER COLUMN n TYPE numeric(12, 2)"),
    ("ALTER COLUMN TYPE timestamp -> timestamptz", "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),
    ("SET NOT NULL", "ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
    ("SET NOT NULL after a validated CHECK (col IS NOT NULL)", "ALTER TABLE t ALTER COLUMN c SET NOT NULL"),
    ("DROP NOT NULL", "ALTER TABLE t ALTER COLUMN e DROP NOT NULL"),
    ("SET DEFAULT", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1"),
    ("DROP DEFAULT", "ALTER TABLE t ALTER COLUMN e DROP DEFAULT"),
    ("ADD CHECK", "ALTER TABLE t ADD CONSTRAINT t_c_check CHECK (a < 100000)"),
    ("ADD CHECK ... NOT VALID", "ALTER TABLE t ADD CONSTRAINT t_c_check CHECK (a < 100000) NOT VALID"),
    ("VALIDATE CONSTRAINT", "ALTER TABLE t VALIDATE CONSTRAINT t_a_positive"),
    ("ADD FOREIGN KEY", "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p) REFERENCES parent (id)"),
    ("ADD FOREIGN KEY ... NOT VALID", "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p) REFERENCES parent (id) NOT VALID"),
    ("ADD UNIQUE", "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)"),
    ("ADD UNIQUE USING INDEX", "ALTER TABLE t ADD CONSTRAINT t_id_key UNIQUE USING INDEX t_id_uix"),
    ("ADD PRIMARY KEY", "ALTER TABLE loose ADD PRIMARY KEY (id)"),
    ("ADD EXCLUDE", "ALTER TABLE t ADD CONSTRAINT t_a_excl EXCLUDE USING btree (a WITH =)"),
    ("DROP CONSTRAINT", "ALTER TABLE t DROP CONSTRAINT t_a_positive"),
    ("CREATE INDEX", "CREATE INDEX t_b_ix ON t (b)"),
    ("CREATE INDEX CONCURRENTLY", None),
    ("DROP INDEX", "DROP INDEX t_a_ix"),
    ("DROP INDEX CONCURRENTLY", None),
    ("REINDEX INDEX", "REINDEX INDEX t_a_ix"),
    ("REINDEX ... CONCURRENTLY", None),
    ("CLUSTER", "CLUSTER t USING t_a_ix"),
    ("VACUUM FULL", None),
    ("VACUUM", None),
    ("LOCK TABLE", "LOCK TABLE t"),
    ("TRUNCATE", "TRUNCATE t CASCADE"),
    ("DROP TABLE", "DROP TABLE loose"),
    ("CREATE TABLE with REFERENCES", "CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id))"),
    ("CREATE TRIGGER", "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; "
                       "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"),
    ("ALTER TABLE SET LOGGED", "ALTER TABLE t SET UNLOGGED"),
    ("REFRESH MATERIALIZED VIEW", "REFRESH MATERIALIZED VIEW mv"),
    ("REFRESH MATERIALIZED VIEW CONCURRENTLY", None),
    ("ATTACH PARTITION", "ALTER TABLE part ATTACH PARTITION loose FOR VALUES FROM (10) TO (20)"),
    ("DETACH PARTITION", "ALTER TABLE part DETACH PARTITION part_1"),
    ("ADD COLUMN bigserial", "ALTER TABLE t ADD COLUMN x bigserial"),
    ("ADD COLUMN DEFAULT now()", "ALTER TABLE t ADD COLUMN x timestamptz DEFAULT now()"),
    ("ADD COLUMN GENERATED ... AS IDENTITY", "ALTER TABLE t ADD COLUMN x bigint GENERATED ALWAYS AS IDENTITY"),
    ("ALTER COLUMN TYPE ... USING", "ALTER TABLE t ALTER COLUMN c TYPE int USING length(c)"),
    ("ALTER COLUMN SET STATISTICS", "ALTER TABLE t ALTER COLUMN a SET STATISTICS 500"),
    ("ALTER TABLE SET (fillfactor)", "ALTER TABLE t SET (fillfactor = 70)"),
    ("ALTER TABLE SET TABLESPACE", "ALTER TABLE t SET TABLESPACE facts_space"),
    ("ENABLE/DISABLE TRIGGER", "ALTER TABLE t DISABLE TRIGGER ALL"),
    ("REPLICA IDENTITY", "ALTER TABLE t REPLICA IDENTITY FULL"),
    ("ALTER TYPE ... ADD VALUE", "CREATE TYPE mood AS ENUM ('a'); ALTER TYPE mood ADD VALUE 'b'"),
    ("CREATE INDEX ON ONLY a partitioned table", "CREATE INDEX part_k_ix ON ONLY part (k)"),
    ("DROP SCHEMA ... CASCADE", "CREATE SCHEMA s; DROP SCHEMA s CASCADE"),
    ("CREATE POLICY", "CREATE POLICY ruled_q ON ruled USING (true)"),
    ("ALTER POLICY", "ALTER POLICY ruled_p ON ruled USING (false)"),
    ("DROP POLICY", "DROP POLICY ruled_p ON ruled"),
    ("CREATE RULE", "CREATE RULE ruled_s AS ON UPDATE TO ruled DO ALSO NOTHING"),
    ("DROP RULE", "DROP RULE ruled_r ON ruled"),
    ("DROP TYPE ... CASCADE (a column has the type)", "DROP TYPE hue CASCADE"),
    ("ALTER DOMAIN ADD CHECK (a column has the domain)", "ALTER DOMAIN pos ADD CONSTRAINT pos_check CHECK (VALUE > 0)"),
    ("ALTER DOMAIN ADD CHECK ... NOT VALID", "ALTER DOMAIN pos ADD CONSTRAINT pos_check CHECK (VALUE > 0) NOT VALID"),
    ("ALTER DOMAIN VALIDATE CONSTRAINT", "ALTER DOMAIN pos ADD CONSTRAINT pos_check CHECK (VALUE > 0) NOT VALID; "
                                         "ALTER DOMAIN pos VALIDATE CONSTRAINT pos_check"),
    ("ALTER DOMAIN SET NOT NULL", "ALTER DOMAIN pos SET NOT NULL"),
    ("UPDATE (whole table)", "UPDATE t SET a = a + 1"),
    ("DELETE (whole table)", "DELETE FROM t"),
]
DOCUMENTED = {  # forms that cannot run in a transaction block: the lock the PostgreSQL docs name
    "CREATE INDEX CONCURRENTLY": ("SHARE UPDATE EXCLUSIVE", "no", "yes (two passes)"),
    "DROP INDEX CONCURRENTLY": ("SHARE UPDATE EXCLUSIVE", "no", "no"),
    "REINDEX ... CONCURRENTLY": ("SHARE UPDATE EXCLUSIVE", "builds a new index", "yes"),
    "VACUUM FULL": ("ACCESS EXCLUSIVE", "yes", "yes"),
    "VACUUM": ("SHARE UPDATE EXCLUSIVE", "no", "yes"),
    "REFRESH MATERIALIZED VIEW CONCURRENTLY": ("EXCLUSIVE (on the view)", "no (diff applied)", "yes"),
}
CONCURRENT_EXAMPLES = {
    "CREATE INDEX CONCURRENTLY": "CREATE INDEX CONCURRENTLY t_b_ix ON t (b)",
    "DROP INDEX CONCURRENTLY": "DROP INDEX CONCURRENTLY t_a_ix",
    "REINDEX ... CONCURRENTLY": "REINDEX INDEX CONCURRENTLY t_a_ix",
    "VACUUM FULL": "VACUUM FULL t", "VACUUM": "VACUUM t",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY": "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
}
STRENGTH = ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
            "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]
WORDS = {"AccessShareLock": "ACCESS SHARE", "RowShareLock": "ROW SHARE", "RowExclusiveLock": "ROW EXCLUSIVE",
         "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE", "ShareLock": "SHARE",
         "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE", "ExclusiveLock": "EXCLUSIVE",
         "AccessExclusiveLock": "ACCESS EXCLUSIVE"}


def measure(url: str, statement: str) -> tuple[str, str, str]:
    import psycopg

    names = ("t", "parent", "loose", "part", "part_1", "mv", "child", "ruled")
    with psycopg.connect(url) as conn:
        oids = dict(conn.execute("SELECT oid, relname FROM pg_class WHERE relname = ANY(%s)", (list(names),)).fetchall())
        files = dict(conn.execute("SELECT oid, relfilenode FROM pg_class WHERE oid = ANY(%s)", (list(oids),)).fetchall())
        scans_query = ("SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables "
                       "WHERE relid = ANY(%s)")
        scans_before = conn.execute(scans_query, (list(oids),)).fetchone()[0]
        conn.execute(statement)
        locks = [(oids[rel], mode) for rel, mode in conn.execute(
            "SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = ANY(%s)",
            (list(oids),)).fetchall()]
        after = dict(conn.execute("SELECT oid, relfilenode FROM pg_class WHERE oid = ANY(%s)", (list(oids),)).fetchall())
        scans = conn.execute(scans_query, (list(oids),)).fetchone()[0]
        conn.rollback()
    strongest: dict[str, str] = {}
    for table, mode in locks:
        if table not in strongest or STRENGTH.index(mode) > STRENGTH.index(strongest[table]):
            strongest[table] = mode
    lock = ", ".join(f"{WORDS[m]} ({t})" for t, m in sorted(strongest.items()))
    rewritten = sorted(oids[o] for o, f in files.items() if o in after and after[o] != f and oids[o] != "mv")
    rewrite = ", ".join(f"yes ({t})" for t in rewritten) or "no"
    return lock or "none", rewrite, "yes" if scans > scans_before else "no"


def rules_for(statement: str) -> str:
    """The rules lintmig gives the statement in a migration after one that made the tables
    (so the old column types are known and the tables are not new)."""
    return _rules({"0001_setup.sql": SETUP, "0002_form.sql": _statements(statement)}, "0002_form.sql")


def _statements(text: str) -> str:
    return text.replace("; ", ";\n") + ";\n"


def _rules(files: dict[str, str], target: str, dialect: str = "postgres") -> str:
    """The codes lintmig reports on `target` in a folder of these files (LM402, which
    applies to every form, and strict mode's LM118 left out)."""
    from lintmig.config import Config
    from lintmig.engine import lint_paths

    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
            with open(os.path.join(folder, name), "w") as fh:
                fh.write(text)
        config = Config(dialect=dialect, ignore=["LM402", "LM118"], cache=False).validate()
        found = lint_paths([os.path.join(folder, target)], config).findings if target.endswith(".py") \
            else [f for f in lint_paths([folder], config).findings if f.path.endswith(target)]
    return ", ".join(sorted({f.code for f in found})) or "none"


# MySQL 8.0 (InnoDB) from the reference manual's "Online DDL Operations" tables, in our words:
# (form, statement, algorithm, rebuilds the table, concurrent DML during the build).
MYSQL = [
    ("ADD COLUMN (8.0.29+: any position)", "ALTER TABLE t ADD COLUMN x int", "INSTANT", "no", "yes"),
    ("ADD COLUMN AUTO_INCREMENT", "ALTER TABLE t ADD COLUMN x int AUTO_INCREMENT UNIQUE", "INPLACE", "yes", "no"),
    ("DROP COLUMN (8.0.29+)", "ALTER TABLE t DROP COLUMN c", "INSTANT", "no", "yes"),
    ("RENAME COLUMN (8.0.28+)", "ALTER TABLE t RENAME COLUMN c TO c2", "INSTANT", "no", "yes"),
    ("MODIFY to another type", "ALTER TABLE t MODIFY COLUMN a bigint", "COPY", "yes", "no"),
    ("MODIFY varchar(20) -> varchar(40)", "ALTER TABLE t MODIFY COLUMN b varchar(40)", "INPLACE", "no", "yes"),
    # utf8mb4 (4 bytes a character): past 63 characters the length prefix grows to 2 bytes
    # (measured on MariaDB 10.11: 60 -> 63 INPLACE, 60 -> 64 and 63 -> 64 refused INPLACE)
    ("MODIFY varchar(20) -> varchar(64), utf8mb4", "ALTER TABLE t MODIFY COLUMN b varchar(64)", "COPY", "yes", "no"),
    ("MODIFY ... NOT NULL", "ALTER TABLE t MODIFY COLUMN a int NOT NULL", "INPLACE", "yes", "yes"),
    ("SET / DROP DEFAULT", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", "INSTANT", "no", "yes"),
    ("ADD INDEX", "CREATE INDEX t_b_ix ON t (b)", "INPLACE", "no", "yes"),
    ("ADD INDEX, ALGORITHM=COPY", "ALTER TABLE t ADD INDEX t_b_ix (b), ALGORITHM=COPY", "COPY", "yes", "no"),
    ("ADD FULLTEXT INDEX (first one)", "CREATE FULLTEXT INDEX t_c_ft ON t (c)", "INPLACE", "yes", "no"),
    ("DROP INDEX", "DROP INDEX t_a_ix ON t", "INPLACE", "no", "yes"),
    ("ADD PRIMARY KEY", "ALTER TABLE t ADD PRIMARY KEY (id)", "INPLACE", "yes", "yes"),
    ("ADD FOREIGN KEY (foreign_key_checks=1)", "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p) REFERENCES parent (id)",
     "COPY", "yes", "no"),
    ("DROP FOREIGN KEY", "ALTER TABLE t DROP FOREIGN KEY t_p_fk", "INPLACE", "no", "yes"),
    ("RENAME TABLE", "RENAME TABLE t TO t2", "INSTANT", "no", "yes"),
    ("CONVERT TO CHARACTER SET", "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", "COPY", "yes", "no"),
    ("OPTIMIZE TABLE", "OPTIMIZE TABLE t", "INPLACE", "yes", "yes"),
    # The table options, measured on MariaDB 10.11 (ALGORITHM=INSTANT, NOCOPY, INPLACE with
    # LOCK=NONE, COPY tried in turn): the same as the manual gives for 8.0.
    ("null rebuild: ENGINE=InnoDB, FORCE", "ALTER TABLE t ENGINE=InnoDB", "INPLACE", "yes", "yes"),
    ("ROW_FORMAT, KEY_BLOCK_SIZE", "ALTER TABLE t ROW_FORMAT=COMPRESSED", "INPLACE", "yes", "yes"),
    ("ENGINE=another engine", "ALTER TABLE t ENGINE=MyISAM", "COPY", "yes", "no"),
    ("AUTO_INCREMENT, COMMENT, STATS_*, default CHARACTER SET", "ALTER TABLE t AUTO_INCREMENT = 1000", "INSTANT", "no", "yes"),
    # Measured the same way: DROP PRIMARY KEY alone and a STORED generated column take COPY only;
    # a NOT NULL column without a default fills the rows with 0 and strict mode then refuses
    # INSERTs that do not name it ("Field 'x' doesn't have a default value").
    ("DROP PRIMARY KEY (alone)", "ALTER TABLE t DROP PRIMARY KEY", "COPY", "yes", "no"),
    ("ADD COLUMN ... GENERATED ... STORED", "ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a + 1) STORED",
     "COPY", "yes", "no"),
    ("ADD COLUMN ... GENERATED ... VIRTUAL", "ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a + 1) VIRTUAL",
     "INSTANT", "no", "yes"),
    ("ADD COLUMN NOT NULL without default", "ALTER TABLE t ADD COLUMN x int NOT NULL", "INSTANT", "no", "yes"),
    ("UPDATE (whole table)", "UPDATE t SET a = a + 1", "-", "-", "row locks"),
]
# SQLite from its ALTER TABLE page: what runs, and what a whole-database write lock holds.
SQLITE = [
    ("ADD COLUMN", "ALTER TABLE t ADD COLUMN x int", "schema only; NOT NULL needs a non-NULL default; CHECK and "
     "generated columns are checked against every row"),
    ("ADD COLUMN NOT NULL without default", "ALTER TABLE t ADD COLUMN x int NOT NULL", "refused on a table with rows"),
    ("ADD COLUMN with CHECK (3.37+)", "ALTER TABLE t ADD COLUMN x int CHECK (x > 0)",
     "checks every row, the database locked for writes (measured on 3.40: 0.12 s against 0.002 s, 1M rows)"),
    ("DROP COLUMN (3.35+)", "ALTER TABLE t DROP COLUMN c", "rewrites every row"),
    ("RENAME COLUMN (3.25+)", "ALTER TABLE t RENAME COLUMN c TO c2", "schema only"),
    ("RENAME TABLE", "ALTER TABLE t RENAME TO t2", "schema only"),
    ("CREATE INDEX", "CREATE INDEX t_b_ix ON t (b)", "reads every row; the database is locked for writes"),
    ("copy-and-swap rebuild", "CREATE TABLE t_new (id INTEGER PRIMARY KEY); INSERT INTO t_new SELECT id FROM t; "
     "DROP TABLE t; ALTER TABLE t_new RENAME TO t", "copies every row under the write lock"),
    ("UPDATE (whole table)", "UPDATE t SET a = a + 1", "every row, the database locked for writes"),
    # Measured with Python's sqlite3 on 1M rows (129 MB): a second connection's INSERT waited
    # for all of each.
    ("VACUUM", "VACUUM", "rewrites the whole database file, every other writer waiting (1.2 s); refused in a transaction"),
    ("REINDEX", "REINDEX t", "rebuilds the table's indexes from every row, every other writer waiting (0.2 s)"),
]


def static_rules(dialect: str, statement: str) -> str:
    setup = ("CREATE TABLE parent (id bigint PRIMARY KEY);\nCREATE TABLE t (id bigint PRIMARY KEY, a int, b varchar(20), "
             "c text, p bigint);\nCREATE INDEX t_a_ix ON t (a);\n")
    return _rules({"0001_setup.sql": setup, "0002_form.sql": _statements(statement)}, "0002_form.sql", dialect)


def print_static() -> None:
    print("| form | algorithm | rebuilds | concurrent DML | lintmig |")
    print("|---|---|---|---|---|")
    for form, statement, algorithm, rebuild, dml in MYSQL:
        print(f"| {form} | {algorithm} | {rebuild} | {dml} | {static_rules('mysql', statement)} |")
    print()
    print("| form | what SQLite does | lintmig |")
    print("|---|---|---|")
    for form, statement, what in SQLITE:
        print(f"| {form} | {what} | {static_rules('sqlite', statement)} |")


ALEMBIC = [
    ("op.add_column (nullable)", 'op.add_column("t", sa.Column("x", sa.Integer()))', "ADD COLUMN"),
    ("op.add_column (nullable=False, no server_default)", 'op.add_column("t", sa.Column("x", sa.Integer(), nullable=False))',
     "ADD COLUMN ... NOT NULL"),
    ("op.add_column (server_default=sa.text('gen_random_uuid()'))",
     'op.add_column("t", sa.Column("x", sa.Uuid(), server_default=sa.text("gen_random_uuid()")))', "volatile default"),
    ("op.add_column (sa.Computed(...))", 'op.add_column("t", sa.Column("x", sa.Integer(), sa.Computed("a * 2")))',
     "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED"),
    ("op.add_column (server_default=sa.false())",
     'op.add_column("t", sa.Column("x", sa.Boolean(), server_default=sa.false(), nullable=False))', "ADD COLUMN DEFAULT false"),
    ("op.drop_column", 'op.drop_column("t", "c")', "DROP COLUMN"),
    ("op.alter_column(type_=...)", 'op.alter_column("t", "a", type_=sa.BigInteger(), existing_type=sa.Integer())',
     "ALTER COLUMN TYPE"),
    ("op.alter_column(nullable=False)", 'op.alter_column("t", "a", nullable=False)', "SET NOT NULL"),
    ("op.alter_column(nullable=True)", 'op.alter_column("t", "a", nullable=True)', "DROP NOT NULL"),
    ("op.alter_column(new_column_name=...)", 'op.alter_column("t", "c", new_column_name="c2")', "RENAME COLUMN"),
    ("op.alter_column(server_default=...)", 'op.alter_column("t", "a", server_default="0")', "SET DEFAULT"),
    ("op.create_index", 'op.create_index("t_b_ix", "t", ["b"])', "CREATE INDEX"),
    ("op.create_index(postgresql_concurrently=True)", 'with op.get_context().autocommit_block():\n'
     '        op.create_index("t_b_ix", "t", ["b"], postgresql_concurrently=True)', "CREATE INDEX CONCURRENTLY"),
    ("op.drop_index", 'op.drop_index("t_a_ix", table_name="t")', "DROP INDEX"),
    ("op.create_foreign_key", 'op.create_foreign_key("t_p_fk", "t", "parent", ["p"], ["id"])', "ADD FOREIGN KEY"),
    ("op.create_foreign_key(postgresql_not_valid=True)",
     'op.create_foreign_key("t_p_fk", "t", "parent", ["p"], ["id"], postgresql_not_valid=True)', "... NOT VALID"),
    ("op.create_check_constraint", 'op.create_check_constraint("t_a_ck", "t", "a > 0")', "ADD CHECK"),
    ("op.create_unique_constraint", 'op.create_unique_constraint("t_b_key", "t", ["b"])', "ADD UNIQUE"),
    ("op.create_primary_key", 'op.create_primary_key("t_pk", "t", ["id"])', "ADD PRIMARY KEY"),
    ("op.create_exclude_constraint", 'op.create_exclude_constraint("t_a_excl", "t", ("a", "="))', "ADD EXCLUDE"),
    ("op.drop_constraint", 'op.drop_constraint("t_a_ck", "t")', "DROP CONSTRAINT"),
    ("op.rename_table", 'op.rename_table("t", "t2")', "RENAME TABLE"),
    ("op.drop_table", 'op.drop_table("t")', "DROP TABLE"),
    ("op.create_table with sa.ForeignKey", 'op.create_table("child", sa.Column("id", sa.BigInteger(), primary_key=True), '
     'sa.Column("p", sa.BigInteger(), sa.ForeignKey("parent.id")))', "CREATE TABLE ... REFERENCES"),
    ("op.batch_alter_table (PostgreSQL: plain ALTER)", 'with op.batch_alter_table("t") as batch_op:\n'
     '        batch_op.alter_column("a", nullable=False)', "SET NOT NULL"),
    ("op.execute(UPDATE without WHERE)", 'op.execute("UPDATE t SET a = 0")', "UPDATE"),
    ("op.bulk_insert", 'op.bulk_insert(sa.table("t", sa.column("id")), [{"id": 1}])', "INSERT"),
]
DJANGO = [
    ("AddField (null=True)", "migrations.AddField('order', 'x', models.IntegerField(null=True))", "ADD COLUMN"),
    ("AddField (NOT NULL, default=...)", "migrations.AddField('order', 'x', models.IntegerField(default=0))",
     "ADD COLUMN DEFAULT, fill, DROP DEFAULT"),
    ("AddField (NOT NULL, db_default=...)", "migrations.AddField('order', 'x', models.IntegerField(db_default=0))",
     "ADD COLUMN DEFAULT"),
    ("AddField (NOT NULL, no default)", "migrations.AddField('order', 'x', models.IntegerField())", "ADD COLUMN NOT NULL"),
    ("AddField (default=uuid.uuid4)", "migrations.AddField('order', 'x', models.UUIDField(default=uuid.uuid4, null=True))",
     "one value for every row"),
    ("AddField (auto_now=True)", "migrations.AddField('order', 'x', models.DateTimeField(auto_now=True))",
     "ADD COLUMN DEFAULT now, fill, DROP DEFAULT"),
    ("AddField (db_default=Now())", "migrations.AddField('order', 'x', models.DateTimeField(db_default=Now()))",
     "ADD COLUMN DEFAULT STATEMENT_TIMESTAMP()"),
    ("AddField (GeneratedField, db_persist=True)", "migrations.AddField('order', 'x', models.GeneratedField("
     "expression=F('total') * 2, output_field=models.IntegerField(), db_persist=True))",
     "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED"),
    ("AddField (ForeignKey)", "migrations.AddField('order', 'c', models.ForeignKey(null=True, on_delete=models.CASCADE, "
     "to='shop.customer'))", "ADD COLUMN, ADD FOREIGN KEY, CREATE INDEX"),
    ("AddField (ForeignKey, db_constraint=False)", "migrations.AddField('order', 'c', models.ForeignKey(null=True, "
     "on_delete=models.CASCADE, to='shop.customer', db_constraint=False))", "ADD COLUMN, CREATE INDEX"),
    ("CreateModel (ForeignKey to an existing table)", "migrations.CreateModel('Line', fields=[('id', "
     "models.BigAutoField(primary_key=True)), ('order', models.ForeignKey(on_delete=models.CASCADE, to='shop.order'))])",
     "CREATE TABLE ... REFERENCES"),
    ("RemoveField", "migrations.RemoveField('order', 'note')", "DROP COLUMN"),
    ("RenameField", "migrations.RenameField('order', 'note', 'memo')", "RENAME COLUMN"),
    ("AlterField (type)", "migrations.AlterField('order', 'total', models.BigIntegerField())", "ALTER COLUMN TYPE"),
    ("AlterField (null=True -> False)", "migrations.AlterField('order', 'note', models.CharField(max_length=20))",
     "SET NOT NULL"),
    ("AlterField (null=False -> True)", "migrations.AlterField('order', 'total', models.IntegerField(null=True))",
     "DROP NOT NULL"),
    ("AlterField (unique=True)", "migrations.AlterField('order', 'total', models.IntegerField(unique=True))", "ADD UNIQUE"),
    ("AlterField (db_index=True)", "migrations.AlterField('order', 'total', models.IntegerField(db_index=True))",
     "CREATE INDEX"),
    ("AddIndex", "migrations.AddIndex('order', models.Index(fields=['total'], name='order_total_ix'))", "CREATE INDEX"),
    ("AddIndexConcurrently (atomic = False)", "migrations.AddIndexConcurrently('order', models.Index(fields=['total'], "
     "name='order_total_ix'))", "CREATE INDEX CONCURRENTLY"),
    ("RemoveIndex", "migrations.RemoveIndex('order', 'order_total_ix')", "DROP INDEX"),
    ("AddConstraint (CheckConstraint)", "migrations.AddConstraint('order', models.CheckConstraint(check=models.Q(total__gte=0), "
     "name='order_total_ck'))", "ADD CHECK"),
    ("AddConstraint (UniqueConstraint)", "migrations.AddConstraint('order', models.UniqueConstraint(fields=['total'], "
     "name='order_total_key'))", "ADD UNIQUE"),
    ("RemoveConstraint", "migrations.RemoveConstraint('order', 'order_total_ck')", "DROP CONSTRAINT"),
    ("DeleteModel", "migrations.DeleteModel('Order')", "DROP TABLE"),
    ("RenameModel", "migrations.RenameModel('Order', 'Purchase')", "RENAME TABLE"),
    ("AlterModelTable", "migrations.AlterModelTable('order', 'purchases')", "RENAME TABLE"),
    ("SeparateDatabaseAndState (state only)", "migrations.SeparateDatabaseAndState(state_operations=["
     "migrations.RemoveField('order', 'note')])", "nothing"),
    ("RunSQL", "migrations.RunSQL('CREATE INDEX order_total_ix ON shop_order (total)')", "the SQL, read as SQL"),
]


def host_rules(host: str, snippet: str) -> str:
    if host == "alembic":
        return _rules({"a1_form.py": 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "a1"\n'
                                     f'down_revision = None\n\n\ndef upgrade():\n    {snippet}\n'}, "a1_form.py")
    head = "from django.db import migrations, models\nimport uuid\n\n\nclass Migration(migrations.Migration):\n"
    initial = (head + "    initial = True\n    operations = [\n"
               "        migrations.CreateModel('Customer', fields=[('id', models.BigAutoField(primary_key=True))]),\n"
               "        migrations.CreateModel('Order', fields=[('id', models.BigAutoField(primary_key=True)), "
               "('total', models.IntegerField()), ('note', models.CharField(max_length=20, null=True))])]\n")
    atomic = "    atomic = False\n" if "Concurrently" in snippet else ""
    form = head + atomic + f"    dependencies = [('shop', '0001_initial')]\n    operations = [\n        {snippet},\n    ]\n"
    return _rules({"shop/migrations/0001_initial.py": initial, "shop/migrations/0002_form.py": form},
                  "shop/migrations/0002_form.py")


def print_hosts() -> None:
    for title, forms in (("Alembic", ALEMBIC), ("Django", DJANGO)):
        print(f"| {title} operation | PostgreSQL statement | lintmig |")
        print("|---|---|---|")
        for form, snippet, statement in forms:
            print(f"| `{form}` | {statement} | {host_rules(title.lower(), snippet)} |")
        print()


def main() -> None:
    if "--hosts" in sys.argv:
        print_hosts()
        return
    if "--static" in sys.argv:
        print_static()
        return
    from pgserver import Cluster

    cluster = Cluster().start()
    try:
        import psycopg

        space = os.path.join(cluster.root, "space")  # a second tablespace, for SET TABLESPACE
        os.makedirs(space)
        if cluster.user:
            import pwd

            entry = pwd.getpwnam(cluster.user)
            os.chown(space, entry.pw_uid, entry.pw_gid)
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute(f"CREATE TABLESPACE facts_space LOCATION '{space}'")
        print("| form | lock (table) | rewrite | reads every row | lintmig |")
        print("|---|---|---|---|---|")
        for i, (form, statement) in enumerate(FORMS):
            url = cluster.create_database(f"facts_{i}")
            import psycopg

            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(SETUP)
            if statement is None:
                lock, rewrite, scan = DOCUMENTED[form]
                lock += " (documented)"
                example = CONCURRENT_EXAMPLES[form]
            else:
                lock, rewrite, scan = measure(url, statement)
                example = statement
            print(f"| {form} | {lock} | {rewrite} | {scan} | {rules_for(example)} |")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
