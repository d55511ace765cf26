"""Django migrations -> Operations, read with libcst; nothing is imported or run.

Reads `class Migration(migrations.Migration)`: `atomic`, `dependencies`, `replaces`,
`initial` and the `operations` list (only `database_operations` of SeparateDatabaseAndState
run; its `state_operations` update the models), also when a list is given by a name bound at
module level or in the class. Table names
come from the app label (the folder above `migrations/`) and the models this file creates
or renames; `RunSQL` strings go to the SQL front end; `RunPython` functions are read for
queryset `update()`/`delete()` and row-by-row saves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import libcst as cst

from ..model import Migration, Span, Txn
from .djangofields import Field, db_default_volatility, join_table_name, read_field
from .djangopython import Ctx, RunPythonReading
from .pyreader import PythonReader
from .pytext import Call, Text, dotted, text_or_none
from .sniff import is_django


# Operations that change no table: the state only (AlterConstraint changes a constraint's
# messages, Django 5.2), objects outside tables (extensions, collations), or a table comment
# and an index rename (neither blocks reads or writes).
_NO_TABLE_CHANGE = frozenset({
    "AlterModelOptions", "AlterModelManagers", "AlterModelTableComment", "AlterConstraint", "RenameIndex",
    "CreateExtension", "BtreeGinExtension", "BtreeGistExtension", "CITextExtension", "CryptoExtension",
    "HStoreExtension", "TrigramExtension", "UnaccentExtension", "CreateCollation", "RemoveCollation",
})


@dataclass
class Model:
    table: str
    fields: dict[str, Field] = field(default_factory=dict)
    # Columns whose field a migration removed from the state only (SeparateDatabaseAndState):
    # the code stopped using them, the database keeps them until a later migration drops them.
    retired: frozenset = frozenset()
    # ManyToManyFields: no column here, a join table of their own.
    relations: dict[str, Field] = field(default_factory=dict)
    # unique_together and index_together, as sets of field-name tuples; None when no migration
    # lintmig read made the model (unknown, never guessed empty).
    together: dict[str, Optional[frozenset]] = field(default_factory=lambda: {"unique": None, "index": None})

    def copy(self) -> "Model":
        return Model(self.table, dict(self.fields), self.retired, dict(self.relations), dict(self.together))

    def columns(self, names: tuple) -> list[str]:
        """The columns of fields given by name (an index's, unique_together's): a foreign key's is
        name_id, a field the state does not know keeps its name."""
        return [self.fields[n].column(n) if n in self.fields else n for n in names]

    def join_table(self, name: str, dialect: str) -> Optional[str]:
        """The table Django makes for a ManyToManyField of this model (None: a `through=`
        model of the migrations' own, which outlives the field)."""
        f = self.relations.get(name)
        if f is None or f.options.get("through") is not None:
            return None
        return text_or_none(f.options.get("db_table")) or join_table_name(self.table, name, dialect)


class DjangoReader(RunPythonReading, PythonReader):
    txn = Txn("migration", "django")

    def __init__(self, path: str, text: str, dialect: str, state_only: bool = False):
        super().__init__(path, text, dialect, with_positions=not state_only)
        self.state_only = state_only
        self.fresh = False  # runs only where the app is new: see _migration
        self.replaces: tuple[str, ...] = ()  # a squashed migration's: the names it stands for
        parts = Path(path).resolve().parts
        self.app = parts[-3] if len(parts) >= 3 and parts[-2] == "migrations" else Path(path).parent.name
        self.models: dict[str, Model] = {}
        self.functions: dict[str, cst.FunctionDef] = {}
        self.consts: dict[str, Any] = {}  # module-level NAME = value
        # NAME = [...] at module level or in the Migration class: lists of operations
        # handed over by name (`SeparateDatabaseAndState(state_operations=state_operations)`).
        self.lists: dict[str, cst.BaseExpression] = {}
        self.deleted: list[Model] = []  # models this migration deletes (from the state at least)
        self.ctx = Ctx()
        self.dependencies: tuple[str, ...] = ()
        self.name = f"{self.app}.{Path(path).stem}"

    def _emit(self, kind, table, args, ctx, site) -> None:
        if not self.state_only:
            super()._emit(kind, table, args, ctx, site)

    def _sql(self, text, ctx, site, one_query: bool = True) -> None:
        if not self.state_only:
            super()._sql(text, ctx, site, one_query)

    def read(self) -> Migration:
        folder_app = self.app
        self._label()
        if not self.state_only:
            self.models = {name: m.copy() for name, m in state_before(self.path, self.dialect).items()}
        if self.app != folder_app:  # tables an earlier migration named before the label was known
            for key, model in self.models.items():
                if model.table == f"{folder_app}_{key}":
                    model.table = f"{self.app}_{key}"
        retired_before = {(m.table, column) for m in self.models.values() for column in m.retired}
        migration = None
        for stmt in self.module.body:
            if isinstance(stmt, cst.FunctionDef):
                self.functions[stmt.name.value] = stmt
            elif isinstance(stmt, cst.ClassDef) and stmt.name.value == "Migration":
                migration = stmt
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:  # module constants: SQL = "..." handed to RunSQL(SQL)
                    if isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name):
                        self.consts[small.targets[0].target.value] = self.eval.value(small.value, self.consts)
                        self.lists[small.targets[0].target.value] = small.value
        if migration is not None:
            self._migration(migration)
        for op in self.ops:
            if op.kind == "drop_column" and (op.table, op.args.get("column")) in retired_before:
                op.args = {**op.args, "retired": True}
        self._mysql_commits()
        return Migration(path=self.path, host="django", dialect=self.dialect, operations=self.ops,
                         comments=self.comments, header_end=self.header_end(), revision=self.name,
                         depends_on=self.dependencies, fresh_tables=self._app_tables() if self.fresh else ())

    def _label(self) -> None:
        """The app's label as its migrations name it: a dependency on another migration of
        this folder (`("wagtailimages", "0013_...")` in wagtail/images/migrations) gives it,
        and with it the tables' names; otherwise it is the folder's name."""
        folder, stem = Path(self.path).parent, Path(self.path).stem
        for stmt in self.module.body:
            if not (isinstance(stmt, cst.ClassDef) and stmt.name.value == "Migration"):
                continue
            for line in stmt.body.body:
                for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
                    if isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name) \
                            and small.targets[0].target.value == "dependencies":
                        label = _label_of(self.eval.value(small.value, {}), folder, stem)
                        if label:
                            self.app, self.name = label, f"{label}.{stem}"
                        return

    def _app_tables(self) -> tuple[str, ...]:
        """The tables of this app's models and their join tables: what a squashed or initial
        migration finds empty (it runs where the app is new, or is faked)."""
        tables = set()
        for model in [*self.models.values(), *self.deleted]:
            tables.add(model.table)
            tables.update(model.join_table(name, self.dialect) or "" for name in model.relations)
        return tuple(sorted(t for t in tables if t))

    def _migration(self, cls: cst.ClassDef) -> None:
        attrs: dict[str, cst.BaseExpression] = {}
        for stmt in cls.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name):
                        attrs[small.targets[0].target.value] = small.value
        self.lists.update(attrs)
        atomic = self.eval.value(attrs.get("atomic"), {}) if "atomic" in attrs else True
        # A squashed migration replays history that deployed databases already applied; an
        # initial one (`initial = True`, the app's first makemigrations) creates the app's
        # tables, or is faked (`migrate --fake-initial`) where they exist already.
        replaced = self.eval.value(attrs.get("replaces"), {}) if "replaces" in attrs else []
        squashed = bool(replaced)
        self.replaces = tuple(text_or_none(r[1]) or "" for r in replaced if isinstance(r, list) and len(r) == 2) \
            if isinstance(replaced, list) else ()
        self.fresh = squashed or ("initial" in attrs and self.eval.value(attrs["initial"], {}) is True)
        self.ctx = Ctx(autocommit=atomic is False)
        deps = self.eval.value(attrs.get("dependencies"), {}) if "dependencies" in attrs else []
        self.dependencies = tuple(
            f"{text_or_none(d[0])}.{text_or_none(d[1])}" for d in deps if isinstance(d, list) and len(d) == 2)
        operations = attrs.get("operations")
        if isinstance(operations, cst.Name):  # operations = OPERATIONS, a list given a name
            operations = self.lists.get(operations.value)
        if isinstance(operations, (cst.List, cst.Tuple)):
            for element in operations.elements:
                if isinstance(element.value, cst.Call):
                    self._operation(element.value)

    # One migration operation.

    def _operation(self, node: cst.Call) -> None:
        call = self.eval.value(node, self.consts)
        if not isinstance(call, Call):
            return
        site = self.span(node)
        reader = getattr(self, f"_op_{call.name}", None)
        if reader is None and call.name.endswith(("RunSQL", "RunPython")):
            # A project's subclass (PostgresOnlyRunSQL): read as what it extends.
            reader = getattr(self, "_op_RunSQL" if call.name.endswith("RunSQL") else "_op_RunPython")
        if reader is not None:
            reader(call, node, site)
        elif call.name not in _NO_TABLE_CHANGE:
            # An operation of a package or of the project (django-pgtrigger's AddTrigger, ...):
            # what it runs on the database is not in the migration's text.
            self._emit("unanalyzable", None, {"reason": f"{call.name} is a migration operation lintmig does not know "
                                                        f"(from a package or the project): what it runs is not checked"},
                       self.ctx, site)

    def _arg(self, call: Call, index: int, name: str) -> Any:
        return call.kwargs.get(name, call.args[index] if len(call.args) > index else None)

    def _model(self, name: Any) -> Model:
        key = (text_or_none(name) or "").lower()
        if key not in self.models:
            self.models[key] = Model(table=f"{self.app}_{key}" if key else "")
        return self.models[key]

    def _op_CreateModel(self, call: Call, node: cst.Call, site: Span) -> None:
        name = text_or_none(self._arg(call, 0, "name")) or ""
        options = self._arg(call, 2, "options") or {}
        table = text_or_none(options.get("db_table")) if isinstance(options, dict) else None
        model = Model(table=table or f"{self.app}_{name.lower()}")
        self.models[name.lower()] = model
        for option in ("unique", "index"):
            model.together[option] = _together(options.get(f"{option}_together") if isinstance(options, dict) else None)
        keys, columns, not_null, defaults, joins, references = [], {}, [], [], [], set()
        for pair in self._arg(call, 1, "fields") or []:
            if isinstance(pair, list) and len(pair) == 2:
                fname, f = text_or_none(pair[0]), read_field(pair[1])
                if fname and f and f.kind == "ManyToManyField":
                    model.relations[fname] = f
                    joins.append(fname)
                elif fname and f:
                    model.fields[fname] = f
                    column = f.column(fname)
                    columns[column] = f.type
                    if f.primary_key or f.unique:
                        keys.append([column])
                    if not f.null:
                        not_null.append(column)
                    if f.db_default is not None:
                        defaults.append(column)
                    if f.has_constraint:
                        references.add(self._referenced_table(model, f))
        keys += [model.columns(names) for names in sorted(model.together["unique"] or ())]
        # A foreign key locks the table it points at (SHARE ROW EXCLUSIVE) until the commit.
        self._emit("create_table", model.table, {"columns": columns, "keys": keys or [["id"]], "not_null": not_null,
                                                 "defaults": defaults, "references": sorted(references - {None})},
                   self.ctx, site)
        for fname in joins:
            self._create_join_table(model, fname, site)

    def _create_join_table(self, model: Model, name: str, site: Span) -> None:
        """The join table Django makes with a ManyToManyField (none for a `through=` model)."""
        join = model.join_table(name, self.dialect)
        if join:
            target = self._referenced_table(model, model.relations[name])
            self._emit("create_table", join, {"columns": {"id": ("bigserial", ())}, "keys": [["id"]],
                                              "not_null": ["id"], "defaults": [],
                                              "references": sorted({model.table, target} - {None})}, self.ctx, site)

    def _op_DeleteModel(self, call, node, site):
        key = (text_or_none(self._arg(call, 0, "name")) or "").lower()
        model = self._model(key)
        self._emit("drop_table", model.table, {}, self.ctx, site)
        # Gone from the state: a model deleted from the state only (moved to another app, or
        # left unmanaged) retires none of its columns one by one.
        del self.models[key]
        self.deleted.append(model)

    def _op_RenameModel(self, call, node, site):
        old, new = self._arg(call, 0, "old_name"), text_or_none(self._arg(call, 1, "new_name")) or ""
        model = self._model(old)
        if model.table == f"{self.app}_{(text_or_none(old) or '').lower()}":
            self._emit("rename_table", model.table, {"new_name": f"{self.app}_{new.lower()}"}, self.ctx, site)
            model.table = f"{self.app}_{new.lower()}"
        self.models[new.lower()] = model

    def _op_AlterModelTable(self, call, node, site):
        name = text_or_none(self._arg(call, 0, "name")) or ""
        model, value = self._model(name), self._arg(call, 1, "table")
        # table=None gives the model its default name back; the name it has already is no change
        table = f"{self.app}_{name.lower()}" if value is None and name else text_or_none(value)
        if table and table != model.table:
            self._emit("rename_table", model.table, {"new_name": table}, self.ctx, site)
            model.table = table

    def _op_AddField(self, call, node, site):
        model, name = self._model(self._arg(call, 0, "model_name")), text_or_none(self._arg(call, 1, "name")) or ""
        f = read_field(self._arg(call, 2, "field"))
        if f is not None and f.kind == "ManyToManyField":  # a new join table: no column here
            model.relations[name] = f
            self._create_join_table(model, name, site)
            return
        if f is None:
            return
        model.fields[name] = f
        column = f.column(name)
        volatility, func = ("constant" if f.has_default else None), None
        if f.db_default is not None:
            volatility, func = db_default_volatility(f.db_default)
        if f.kind in ("AutoField", "BigAutoField", "SmallAutoField") or f.generated == "stored":
            volatility, func = "volatile", "generated column" if f.generated else f.kind
        self._emit("add_column", model.table, {
            "column": column, "type": f.type, "not_null": not f.null, "has_default": f.has_default,
            "default_volatility": volatility, "generated": f.generated, "default_func": func,
            "unknown": ("not_null",) * f.null_unknown + ("has_default",) * f.default_unknown or None,
            "default_once": f.default_callable,
            # Django fills existing rows from a Python default, then drops the database default.
            "default_dropped": f.has_default and f.db_default is None,
        }, self.ctx, site)
        if f.has_constraint:
            self._emit("add_constraint", model.table, {"type": "foreign_key", "columns": [column],
                       "references": self._referenced_table(model, f), "on_new_column": True, "column_has_default": f.has_default},
                       self.ctx, site)
        if f.unique:
            self._emit("add_constraint", model.table, {"type": "unique", "columns": [column]}, self.ctx, site)
        elif f.db_index:
            self._emit("create_index", model.table, {"columns": [column]}, self.ctx, site)

    def _op_RemoveField(self, call, node, site):
        model, name = self._model(self._arg(call, 0, "model_name")), text_or_none(self._arg(call, 1, "name")) or ""
        if name in model.relations:  # Django drops the join table it made for the field
            join = model.join_table(name, self.dialect)
            del model.relations[name]
            if join:
                self._emit("drop_table", join, {}, self.ctx, site)
            return
        old = model.fields.pop(name, None)
        self._emit("drop_column", model.table, {"column": old.column(name) if old else name}, self.ctx, site)

    def _op_RenameField(self, call, node, site):
        model = self._model(self._arg(call, 0, "model_name"))
        old, new = text_or_none(self._arg(call, 1, "old_name")), text_or_none(self._arg(call, 2, "new_name"))
        if old in model.relations and new:  # Django renames the join table it made
            before = model.join_table(old, self.dialect)
            model.relations[new] = model.relations.pop(old)
            after = model.join_table(new, self.dialect)
            if before and after and before != after:
                self._emit("rename_table", before, {"new_name": after}, self.ctx, site)
            return
        f = model.fields.pop(old or "", None)
        if f is not None and new:
            model.fields[new] = f
        for option, sets in model.together.items():  # Django renames the field in them too
            if sets is not None and old and new:
                model.together[option] = frozenset(tuple(new if n == old else n for n in names) for names in sets)
        old_column, new_column = (f.column(old), f.column(new)) if f is not None and new else (old, new)
        if old_column != new_column:  # a field with db_column keeps its column
            self._emit("rename_column", model.table, {"column": old_column, "new_name": new_column}, self.ctx, site)

    def _op_AlterField(self, call, node, site):
        model, name = self._model(self._arg(call, 0, "model_name")), text_or_none(self._arg(call, 1, "name")) or ""
        new = read_field(self._arg(call, 2, "field"))
        old = model.fields.get(name)
        if new is None:
            return
        if new.kind == "ManyToManyField":
            self._alter_relation(model, name, new, site)
            return
        model.fields[name] = new
        if old is None:
            self._emit("unanalyzable", model.table, {
                "reason": f"AlterField of {model.table}.{name}: its old definition is not in this change, "
                          f"so lintmig cannot tell what changes in the database"}, self.ctx, site)
            return
        table, column = model.table, new.column(name)
        if old.column(name) != column:  # db_column added, changed or removed: the column is renamed
            self._emit("rename_column", table, {"column": old.column(name), "new_name": column}, self.ctx, site)
        old_type, new_type = self._column_type(old), self._column_type(new)
        if old_type != new_type and old_type is not None and new_type is not None:
            self._emit("alter_column_type", table, {"column": column, "new_type": new_type, "old_type": old_type}, self.ctx, site)
        if old.null and not new.null:
            if new.has_default:  # Django fills the NULLs first, then sets NOT NULL
                self._emit("update", table, {"bounds": [[]]}, self.ctx, site)
            self._emit("set_not_null", table, {"column": column}, self.ctx, site)
        elif new.null and not old.null:
            self._emit("drop_not_null", table, {"column": column}, self.ctx, site)
        if new.has_constraint and (not old.has_constraint or (old.references or "").lower() != (new.references or "").lower()):
            # Django adds the FOREIGN KEY and checks every row under its lock
            self._emit("add_constraint", table, {"type": "foreign_key", "columns": [column],
                       "references": self._referenced_table(model, new)}, self.ctx, site)
        if new.unique and not old.unique:
            self._emit("add_constraint", table, {"type": "unique", "columns": [column]}, self.ctx, site)
        elif new.db_index and not old.db_index and not new.unique:
            self._emit("create_index", table, {"columns": [column]}, self.ctx, site)

    def _alter_relation(self, model: Model, name: str, new: Field, site: Span) -> None:
        """AlterField to a ManyToManyField: Django allows it only from one (no column of this
        table changes); the join table changes only when the field points elsewhere. With
        `through=` the join table is a model of its own (Django refuses to add or remove
        `through=` this way), and such a field changes nothing in the database."""
        old = model.relations.get(name)
        model.relations[name] = new
        if new.options.get("through") is not None:
            return
        if old is None or (old.references or "").lower() != (new.references or "").lower() \
                or old.options.get("through") is not None or old.options.get("db_table") != new.options.get("db_table"):
            what = "its old definition is not in this change" if old is None else "it now points elsewhere"
            self._emit("unanalyzable", model.join_table(name, self.dialect) or model.table, {
                "reason": f"AlterField of the many-to-many {model.table}.{name}: {what}, so lintmig cannot "
                          f"tell what changes in its join table"}, self.ctx, site)

    def _referenced_table(self, model: Model, f: Field) -> Optional[str]:
        """The table a relation points at: "shop.Customer" is shop_customer unless this app's
        models say otherwise; "self" is the model's own; settings.AUTH_USER_MODEL is named as such."""
        reference = f.references
        if not reference:
            return f"the table {f.target_name} names" if f.target_name else None
        if reference == "self":
            return model.table
        app, _, name = reference.rpartition(".")
        if not app or app == self.app:
            known = self.models.get(name.lower())
            return known.table if known is not None else f"{self.app}_{name.lower()}"
        return f"{app}_{name.lower()}" if app.isidentifier() else reference

    def _column_type(self, f: Field) -> Optional[tuple]:
        """The column's type; a relation's is its target's primary key type (None: unknown)."""
        if not f.is_relation or self.state_only:
            return f.type
        target = f.references or ""
        app, _, model_name = target.rpartition(".")
        app = app or self.app
        if not app.isidentifier():  # an app label, never a path (`to="../../x.Y"` reads nothing)
            return None
        if app == self.app:
            models = self.models
        else:  # another app's models, as far as this migration's dependency on it goes
            folder = Path(self.path).resolve().parent.parent.parent / app / "migrations"
            dep = next((d.split(".", 1)[1] for d in self.dependencies if d.startswith(app + ".")), None)
            if dep is None or not folder.is_dir():
                return None
            models = state_before(str(folder / f"{dep}.py"), self.dialect, including=True)
        target_model = models.get(model_name.lower())
        pk = next((pf for pf in target_model.fields.values() if pf.primary_key), None) if target_model else None
        if pk is None or pk.is_relation or pk.type is None:
            return None
        return ({"serial": "int", "bigserial": "bigint", "smallserial": "smallint"}.get(pk.type[0], pk.type[0]), pk.type[1])

    def _index_args(self, index: Any, concurrently: bool, model: Model) -> dict:
        if not isinstance(index, Call):
            return {"concurrently": concurrently}
        fields = [text_or_none(f) for f in index.kwargs.get("fields") or []]
        # Field names, "-" first for a descending one: a foreign key's column is name_id.
        names = tuple(f.lstrip("-") for f in fields if f and f.lstrip("-"))
        return {"name": text_or_none(index.kwargs.get("name")), "concurrently": concurrently,
                "columns": model.columns(names),
                "unique": index.name == "UniqueConstraint", "partial": "condition" in index.kwargs}

    def _op_AddIndex(self, call, node, site, concurrently=False):
        model = self._model(self._arg(call, 0, "model_name"))
        self._emit("create_index", model.table, self._index_args(self._arg(call, 1, "index"), concurrently, model),
                   self.ctx, site)

    def _op_AddIndexConcurrently(self, call, node, site):
        self._op_AddIndex(call, node, site, concurrently=True)

    def _op_RemoveIndex(self, call, node, site, concurrently=False):
        model = self._model(self._arg(call, 0, "model_name"))
        # Django's PostgreSQL schema editor drops indexes with IF EXISTS (sql_delete_index and
        # sql_delete_index_concurrently); the MySQL and SQLite ones do not.
        self._emit("drop_index", model.table, {"name": text_or_none(self._arg(call, 1, "name")),
                                               "concurrently": concurrently, "if_exists": self.dialect == "postgres"},
                   self.ctx, site)

    def _op_RemoveIndexConcurrently(self, call, node, site):
        self._op_RemoveIndex(call, node, site, concurrently=True)

    def _op_AddConstraint(self, call, node, site):
        model, constraint = self._model(self._arg(call, 0, "model_name")), self._arg(call, 1, "constraint")
        if not isinstance(constraint, Call):
            return
        name = text_or_none(constraint.kwargs.get("name"))
        if constraint.name == "UniqueConstraint" and ("condition" in constraint.kwargs or "expressions" in constraint.kwargs
                                                       or constraint.args):
            # A conditional or expression unique constraint is a unique index.
            self._emit("create_index", model.table, self._index_args(constraint, False, model), self.ctx, site)
        elif constraint.name == "UniqueConstraint":
            self._emit("add_constraint", model.table, {"name": name, "type": "unique",
                       "columns": self._index_args(constraint, False, model).get("columns")}, self.ctx, site)
        elif constraint.name == "CheckConstraint":
            self._emit("add_constraint", model.table, {"name": name, "type": "check"}, self.ctx, site)

    def _op_AlterUniqueTogether(self, call, node, site):
        self._alter_together("unique", call, site)

    def _op_AlterIndexTogether(self, call, node, site):
        self._alter_together("index", call, site)

    def _alter_together(self, option: str, call: Call, site: Span) -> None:
        """unique_together / index_together: Django adds a UNIQUE constraint or builds an index
        for each set that is new, and drops those that are gone. When the sets before are
        unknown, every set is judged new (the unsafe case)."""
        model = self._model(self._arg(call, 0, "name"))
        new = _together(self._arg(call, 1, f"{option}_together"))
        old = model.together[option]
        if new is None:  # not readable: the state after is unknown too
            model.together[option] = None
            return
        for names in sorted(new - (old or frozenset())):
            columns = model.columns(names)
            if option == "unique":
                self._emit("add_constraint", model.table, {"name": None, "type": "unique", "columns": columns},
                           self.ctx, site)
            else:
                self._emit("create_index", model.table, {"name": None, "concurrently": False, "columns": columns},
                           self.ctx, site)
        for names in sorted((old or frozenset()) - new):
            if option == "unique":
                self._emit("drop_constraint", model.table, {"name": None}, self.ctx, site)
            else:  # Django's PostgreSQL schema editor: DROP INDEX IF EXISTS
                self._emit("drop_index", model.table, {"name": None, "if_exists": self.dialect == "postgres"},
                           self.ctx, site)
        model.together[option] = new

    def _op_AddConstraintNotValid(self, call, node, site):
        model, constraint = self._model(self._arg(call, 0, "model_name")), self._arg(call, 1, "constraint")
        name = text_or_none(constraint.kwargs.get("name")) if isinstance(constraint, Call) else None
        self._emit("add_constraint", model.table, {"name": name, "type": "check", "not_valid": True}, self.ctx, site)

    def _op_ValidateConstraint(self, call, node, site):
        model = self._model(self._arg(call, 0, "model_name"))
        self._emit("validate_constraint", model.table, {"name": text_or_none(self._arg(call, 1, "name"))}, self.ctx, site)

    def _op_AlterOrderWithRespectTo(self, call, node, site):
        """Django adds (or drops) an `_order` integer column: NOT NULL, filled with 0 through a
        default it drops again."""
        model = self._model(self._arg(call, 0, "name"))
        if self._arg(call, 1, "order_with_respect_to") is None:
            self._emit("drop_column", model.table, {"column": "_order"}, self.ctx, site)
            return
        self._emit("add_column", model.table, {"column": "_order", "type": ("int", ()), "not_null": True,
                                                "has_default": True, "default_volatility": "constant",
                                                "default_dropped": True}, self.ctx, site)

    def _op_RemoveConstraint(self, call, node, site):
        model = self._model(self._arg(call, 0, "model_name"))
        self._emit("drop_constraint", model.table, {"name": text_or_none(self._arg(call, 1, "name"))}, self.ctx, site)

    def _op_SeparateDatabaseAndState(self, call, node, site):
        lists = {"database_operations": None, "state_operations": None}
        for index, arg in enumerate(node.args):
            key = arg.keyword.value if arg.keyword else ("database_operations", "state_operations")[min(index, 1)]
            value = self.lists.get(arg.value.value, arg.value) if isinstance(arg.value, cst.Name) else arg.value
            if key in lists and isinstance(value, (cst.List, cst.Tuple)):
                lists[key] = [e.value for e in value.elements if isinstance(e.value, cst.Call)]
        before = {name: m.copy() for name, m in self.models.items()}
        emitted = len(self.ops)
        for element in lists["database_operations"] or ():
            self._operation(element)
        dropped = {(op.table, op.args.get("column")) for op in self.ops[emitted:] if op.kind == "drop_column"}
        dropped |= {(old.table, f.column(fname)) for name, old in before.items() for fname, f in old.fields.items()
                    if name in self.models and fname not in self.models[name].fields}
        # The state is what state_operations leave; they change nothing in the database.
        self.models = {name: m.copy() for name, m in before.items()}
        emitting, self.state_only = self.state_only, True
        try:
            for element in lists["state_operations"] or ():
                self._operation(element)
        finally:
            self.state_only = emitting
        for name, old in before.items():
            now = self.models.get(name)
            if now is None:
                continue
            gone = {f.column(fname) for fname, f in old.fields.items() if fname not in now.fields}
            gone -= {column for table, column in dropped if table == now.table}
            gone -= {f.column(n) for n, f in now.fields.items()}
            now.retired = now.retired | gone
            for fname, f in old.fields.items():
                if f.column(fname) in gone:
                    self._emit("retire_column", now.table, {"column": f.column(fname), "not_null": not f.null,
                               "has_default": f.db_default is not None}, self.ctx, site)

    def _op_RunSQL(self, call, node, site):
        raw = node.args[0].value if node.args and node.args[0].keyword is None else None
        if raw is not None and dotted(raw).endswith("RunSQL.noop"):
            return  # runs nothing
        sql = self._arg(call, 0, "sql")
        items = sql if isinstance(sql, list) else [sql]
        for item in items:
            if isinstance(item, list) and item:  # (sql, params)
                item = item[0]
            if isinstance(item, Text):
                self._sql(item, self.ctx, site, one_query=False)
            elif item is not None:
                self._emit("unanalyzable", None, {"reason": "RunSQL with SQL lintmig cannot resolve"}, self.ctx, site)


_STATES: dict[bytes, dict[str, Model]] = {}  # (the chain of earlier files' contents) -> the app's models


_PLAIN = re.compile(r"\w+")  # a migration's name: never a path


def _label_of(dependencies: Any, folder: Path, stem: str) -> Optional[str]:
    """The label among a migration's dependencies that names a migration of its own folder.
    Another app's `0001_initial` matches a file here too: with several candidates, the one
    that is the folder's name or ends with it (`wagtailimages` for images/) wins, else none."""
    apps = set()
    for dep in dependencies if isinstance(dependencies, list) else ():
        if isinstance(dep, list) and len(dep) == 2:
            app, name = text_or_none(dep[0]), text_or_none(dep[1])
            if app and name and app.isidentifier() and _PLAIN.fullmatch(name) and name != stem \
                    and (folder / f"{name}.py").is_file():
                apps.add(app)
    if len(apps) == 1:
        return apps.pop()
    fitting = sorted(app for app in apps if app.endswith(folder.parent.name))
    return fitting[0] if len(fitting) == 1 else None


def state_before(path: str, dialect: str, max_bytes: int = 32 * 1000**2, including: bool = False) -> dict[str, Model]:
    """The app's models as the migrations before `path` in its folder (and `path` itself
    when `including`) leave them. Memoised on the contents of the whole chain, so an edited
    earlier migration is never served stale."""
    import hashlib

    from ..order import natural_key
    from ..sources import read_source
    from .pyreader import UnreadablePython

    here = Path(path)
    try:
        siblings = sorted((p for p in here.parent.glob("*.py") if not p.name.startswith("__")),
                          key=lambda p: natural_key(p.name))
    except OSError:
        return {}
    models: dict[str, Model] = {}
    present = {p.stem for p in siblings}
    chain = hashlib.blake2b(dialect.encode(), digest_size=16)
    for sibling in siblings:
        if natural_key(sibling.name) > natural_key(here.name) or (sibling.name == here.name and not including):
            break
        data = read_source(str(sibling), str(here.parent), max_bytes)
        chain.update(data.encode() if isinstance(data, str) else data)
        key = chain.digest()
        if key not in _STATES:
            try:
                if isinstance(data, str):
                    raise OSError(data)
                text = data.decode("utf-8")
                reader = DjangoReader(str(sibling), text, dialect, state_only=True)
                reader.models = {name: m.copy() for name, m in models.items()}
                if is_django(text):
                    reader.read()
                # A squash beside the migrations it replaces is the same history told twice:
                # the chain through them is the one the migrations after them depend on.
                squash_of_present = any(name in present for name in reader.replaces)
                _STATES[key] = models if squash_of_present else reader.models
            except (OSError, UnicodeDecodeError, cst.ParserSyntaxError, UnreadablePython, RecursionError):
                _STATES[key] = models
        models = _STATES[key]
    return models


def extract_django(path: str, text: str, dialect: str) -> Migration:
    return DjangoReader(path, text, dialect).read()


def _together(value: Any) -> Optional[frozenset]:
    """unique_together / index_together as Django normalises it: one tuple of names or a set
    of them (None when it is not a literal lintmig can read)."""
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        return None
    if value and all(isinstance(v, (Text, str)) for v in value):
        value = [value]  # ("a", "b") means {("a", "b")}
    sets = []
    for names in value:
        if not isinstance(names, list) or not names:
            return None
        texts = tuple(text_or_none(n) for n in names)
        if None in texts:
            return None
        sets.append(texts)
    return frozenset(sets)
