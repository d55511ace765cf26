"""Django model fields read as data: the column they make and what it implies."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .pytext import Call, Text, dotted, text_or_none

_TYPES = {
    "CharField": "varchar", "TextField": "text", "SlugField": "varchar", "EmailField": "varchar",
    "URLField": "varchar", "IntegerField": "int", "BigIntegerField": "bigint", "SmallIntegerField": "smallint",
    "PositiveIntegerField": "int", "PositiveBigIntegerField": "bigint", "PositiveSmallIntegerField": "smallint",
    "BooleanField": "boolean", "DateTimeField": "timestamptz", "DateField": "date", "TimeField": "time",
    "UUIDField": "uuid", "JSONField": "jsonb", "DecimalField": "numeric", "FloatField": "double",
    "AutoField": "serial", "BigAutoField": "bigserial", "SmallAutoField": "smallserial", "BinaryField": "bytea",
    "DurationField": "interval", "GenericIPAddressField": "inet", "ForeignKey": "bigint", "OneToOneField": "bigint",
    "NullBooleanField": "boolean", "IPAddressField": "inet",
}
# Django's own field classes, whose null defaults to False (NullBooleanField: True). A field
# class of another package (oscar's NullCharField, ...) may set null itself: unknown.
_DJANGO_FIELDS = set(_TYPES) | {
    "FileField", "ImageField", "FilePathField", "CommaSeparatedIntegerField", "ManyToManyField", "GeneratedField",
    "ArrayField", "HStoreField", "CICharField", "CIEmailField", "CITextField", "IntegerRangeField",
    "BigIntegerRangeField", "DecimalRangeField", "DateRangeField", "DateTimeRangeField", "SearchVectorField",
}
_NULL_BY_DEFAULT = {"NullBooleanField"}
_DEFAULT_LENGTH = {"SlugField": 50, "EmailField": 254, "URLField": 200}
# Fields whose empty value is a string (Django's empty_strings_allowed): with blank=True their
# effective default is ''.
_EMPTY_STRINGS_ALLOWED = {"CharField", "TextField", "SlugField", "EmailField", "URLField", "BinaryField",
                          "FilePathField", "FileField", "ImageField", "GenericIPAddressField"}
@dataclass
class Field:
    kind: str  # the Django field class, e.g. "CharField"
    type: Optional[tuple[str, tuple]]
    null: bool
    has_default: bool
    db_default: Any
    unique: bool
    db_index: bool
    primary_key: bool
    references: Optional[str]  # the model a ForeignKey points to
    options: dict[str, Any]
    # `null=` given as something lintmig cannot evaluate: judged NOT NULL, and said so.
    null_unknown: bool = False
    # `default=uuid.uuid4` and the like: Django calls it once for all existing rows.
    default_callable: Optional[str] = None
    # blank=True on a field class of another package: Django fills the rows of a NOT NULL
    # column with '' if the class allows empty strings (a CharField's subclass does, unless
    # it says otherwise); judged without a default, and said so.
    default_unknown: bool = False
    # GeneratedField: "stored" (db_persist=True) or "virtual"; the database computes every value.
    generated: Optional[str] = None
    # A relation whose target is a name in code (settings.AUTH_USER_MODEL), not a model label.
    target_name: Optional[str] = None

    @property
    def is_relation(self) -> bool:
        return self.kind in ("ForeignKey", "OneToOneField")

    @property
    def has_constraint(self) -> bool:
        """A relation whose column Django guards with a FOREIGN KEY (db_constraint=False: none)."""
        return self.is_relation and self.options.get("db_constraint") is not False

    def column(self, name: str) -> str:
        return self.options.get("db_column") or (f"{name}_id" if self.is_relation else name)


# The longest name Django gives a table it makes, by database (SQLite: no limit).
_MAX_NAME = {"postgres": 63, "mysql": 64}


def join_table_name(model_table: str, field_name: str, dialect: str) -> str:
    """The join table Django makes for a ManyToManyField: `<model table>_<field>`, cut to the
    database's limit with a digest of the whole name as Django's truncate_name does."""
    import hashlib

    name, limit = f"{model_table}_{field_name}", _MAX_NAME.get(dialect)
    if limit is None or len(name) <= limit:
        return name
    return name[:limit - 4] + hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:4]


def read_field(value: Any) -> Optional[Field]:
    if not isinstance(value, Call) or not value.name.endswith("Field") and value.name not in ("ForeignKey",):
        return None
    kind = value.name
    base = _TYPES.get(kind)
    params: tuple = ()
    if kind in ("CharField", "SlugField", "EmailField", "URLField"):
        length = value.kwargs.get("max_length", _DEFAULT_LENGTH.get(kind))
        params = (length,) if isinstance(length, int) else ()
    elif kind == "DecimalField":
        digits, places = value.kwargs.get("max_digits"), value.kwargs.get("decimal_places")
        params = tuple(p for p in (digits, places) if isinstance(p, int))
    target = value.args[0] if value.args and kind in ("ForeignKey", "OneToOneField") else value.kwargs.get("to")
    generated, column_type = None, (base, params) if base else (kind.lower(), ())
    if kind == "GeneratedField":  # its column has the type of output_field
        generated = "virtual" if value.kwargs.get("db_persist") is False else "stored"
        output = read_field(value.kwargs.get("output_field"))
        column_type = output.type if output is not None else None
    return Field(
        kind=kind, type=column_type, generated=generated,
        null=value.kwargs.get("null") is True if "null" in value.kwargs else kind in _NULL_BY_DEFAULT,
        # Django adds a NOT NULL string field with blank=True using '' for the existing rows,
        # and an auto_now / auto_now_add one using the time of the migration.
        has_default="default" in value.kwargs or "db_default" in value.kwargs
        or (value.kwargs.get("blank") is True and kind in _EMPTY_STRINGS_ALLOWED)
        or value.kwargs.get("auto_now") is True or value.kwargs.get("auto_now_add") is True,
        db_default=value.kwargs.get("db_default"),
        unique=value.kwargs.get("unique") is True or kind == "OneToOneField",
        db_index=value.kwargs.get("db_index", kind == "ForeignKey") is True,
        primary_key=value.kwargs.get("primary_key") is True,
        references=text_or_none(target), target_name=_target_name(value) if text_or_none(target) is None else None,
        options={k: (text_or_none(v) or v) for k, v in value.kwargs.items()},
        null_unknown=value.kwargs["null"] not in (True, False) if "null" in value.kwargs else kind not in _DJANGO_FIELDS,
        default_callable=_per_row_callable(value),
        default_unknown=kind not in _DJANGO_FIELDS and value.kwargs.get("blank") is True
        and "default" not in value.kwargs and "db_default" not in value.kwargs,
    )


def _target_name(value: Call) -> Optional[str]:
    if value.name not in ("ForeignKey", "OneToOneField", "ManyToManyField"):
        return None
    positional = [a.value for a in value.node.args if a.keyword is None]
    named = [a.value for a in value.node.args if a.keyword is not None and a.keyword.value == "to"]
    node = named[0] if named else positional[0] if positional else None
    return (dotted(node) or None) if node is not None else None


def db_default_volatility(value: Any) -> tuple[str, Optional[str]]:
    """(volatility, function) of a db_default: Value(0) is constant, Now() stable (PostgreSQL
    gets STATEMENT_TIMESTAMP()), RandomUUID() volatile; another expression is unknown."""
    if isinstance(value, Call):
        if value.name == "Value":
            return ("constant", None)
        if value.name in ("Now", "TransactionNow"):
            return ("stable", "now")
        if value.name == "RandomUUID":
            return ("volatile", "gen_random_uuid")
        return ("unknown", value.name)
    if isinstance(value, (Text, str, int, float, bool)):
        return ("constant", None)
    return ("unknown", "an expression lintmig cannot read")


# Callables whose every call is a new value: as a Django default, one call fills every row.
_PER_ROW = ("uuid1", "uuid4", "token_hex", "token_urlsafe", "token_bytes", "random", "randint", "getrandbits",
            "ulid", "new_ulid", "nanoid", "generate")


def _per_row_callable(value: Call) -> Optional[str]:
    for arg in value.node.args:
        if arg.keyword is not None and arg.keyword.value == "default":
            name = dotted(arg.value)
            if name and name.rsplit(".", 1)[-1] in _PER_ROW:
                return name
    return None
