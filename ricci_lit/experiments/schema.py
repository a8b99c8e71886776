"""What a chunk of each results table must hold: required columns, their types, values that may not be NaN.

A results store (:mod:`ricci_lit.experiments.store`) checks every chunk it reads against its
table's :class:`TableSchema`, so a truncated file, an unrelated Parquet file, a chunk missing a
column or one with NaN where a number is required is named as such instead of turning into a
wrong count downstream (e.g. NaN hop distances read as disconnected graphs).

The known tables are registered here (:data:`TABLE_SCHEMAS`); a plan that writes a new table may
register its own with :func:`register_schema` or pass one to
:func:`~ricci_lit.experiments._chunks.read_table`. A table without a schema is only checked for
being readable Parquet.

Required columns are those the readers need (for ``network``: what paper 1's analysis reads);
the other columns a writer produces are *optional*: absent is fine, present must have the type.
``n_tie_decided`` (how many points' neighbourhoods a distance tie decides) only exists in rows
written after it was added, so it is optional everywhere. Extra columns are always accepted.
Kinds: ``"int"`` (any integer type), ``"float"`` (floating, or integer: it converts exactly),
``"bool"``, ``"str"`` (string, large string, or dictionary of strings; an all-null column, type
``null``, is accepted for ``"str"``, as pandas writes a column of ``None`` that way).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["TableSchema", "TABLE_SCHEMAS", "register_schema", "schema_for"]

_KINDS = ("int", "float", "bool", "str")


def _kind_ok(kind: str, typ: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    if kind == "int":
        return pa.types.is_integer(typ)
    if kind == "float":
        return pa.types.is_floating(typ) or pa.types.is_integer(typ)
    if kind == "bool":
        return pa.types.is_boolean(typ)
    return pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_null(typ)


@dataclass(frozen=True)
class TableSchema:
    """The columns a table's chunks must (``required``) or may (``optional``) hold.

    Parameters
    ----------
    required
        Column name → kind (``"int"``, ``"float"``, ``"bool"``, ``"str"``); each must be present.
    optional
        Column name → kind; checked only when present.
    not_nan
        Float columns in which NaN (or null) is an error (``±inf`` is allowed: an infinite hop
        total is a disconnected graph, a result).
    command
        The ``ricci-lit`` command that writes the table, named in the repair advice of an error.
    """

    required: Mapping[str, str]
    optional: Mapping[str, str] = field(default_factory=dict)
    not_nan: tuple[str, ...] = ()
    command: str | None = None

    def __post_init__(self) -> None:
        for name, kind in {**self.optional, **self.required}.items():
            if kind not in _KINDS:
                raise ValueError(f"column {name!r}: kind {kind!r} is not one of {', '.join(_KINDS)}")
        unknown = sorted(set(self.not_nan) - set(self.required) - set(self.optional))
        if unknown:
            raise ValueError(f"not_nan names columns the schema does not list: {', '.join(unknown)}")

    def schema_problem(self, schema: Any) -> str | None:
        """Why an Arrow schema does not fit (missing columns, wrong types), or ``None``."""
        types = dict(zip(schema.names, schema.types, strict=True))
        missing = [c for c in self.required if c not in types]
        if missing:
            return f"missing column(s) {', '.join(missing)}"
        wrong = [f"{c} is {_type_name(types[c])}, not {kind}" for c, kind in {**self.optional, **self.required}.items()
                 if c in types and not _kind_ok(kind, types[c])]
        if wrong:
            return f"wrong column type(s): {'; '.join(wrong)}"
        return None

    def value_problem(self, table: Any) -> str | None:
        """Why a table's values do not fit (NaN or null in a ``not_nan`` column), or ``None``.

        ``table`` is a pyarrow table or a pandas frame.
        """
        bad = []
        for col in self.not_nan:
            n = _n_missing(table, col)
            if n:
                bad.append(f"{n} NaN value(s) in {col}")
        return "; ".join(bad) or None


def _n_missing(table: Any, col: str) -> int:
    """Nulls plus NaNs in column ``col`` of an Arrow table or pandas frame (0 when absent)."""
    if hasattr(table, "column_names"):  # pyarrow
        import pyarrow.compute as pc

        if col not in table.column_names:
            return 0
        arr = table.column(col)
        n = arr.null_count
        if _is_float(arr.type):
            n += int(pc.sum(pc.is_nan(arr)).as_py() or 0)
        return int(n)
    if col not in table.columns:
        return 0
    return int(table[col].isna().sum())


def _type_name(typ: Any) -> str:
    """An Arrow type said in the schema's words where one fits (``str`` for any string type)."""
    for kind in ("bool", "int", "str"):
        if _kind_ok(kind, typ) and not (kind == "str" and str(typ) == "null"):
            return kind
    return "float" if _kind_ok("float", typ) else str(typ)


def _is_float(typ: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_floating(typ)


_NETWORK_OPTIONAL = {
    # the network-level columns the sweep writes (experiments.paper1), beyond the required ones
    "n_hidden": "int", "width": "str", "depth": "str", "train_accuracy": "float", "train_loss": "float",
    "n_test": "int", "n_train": "int", "device": "str", "train_seconds": "float", "geometry_seconds": "float",
    # the rest of a geometry_table row (geometry.coefficients)
    "g_finite": "int", "connected": "bool", "n_components": "int", "n_edges": "int", "n_distinct": "int",
    "collapsed": "bool", "diameter": "int", "n_tie_decided": "int",
}

_SCHEMAS: dict[str, TableSchema] = {
    # paper 1's sweep: one row per (network, layer, k)
    "network": TableSchema(
        required={"problem": "str", "architecture": "str", "seed": "int", "test_accuracy": "float",
                  "layer": "int", "k": "int", "ric": "float", "g": "float"},
        optional=_NETWORK_OPTIONAL, not_nan=("test_accuracy", "ric", "g"), command="ricci-lit sweep"),
    # paper 2's coefficients of a store's networks (ρ is NaN where undefined: a result)
    "coefficients": TableSchema(
        required={"problem": "str", "architecture": "str", "seed": "int", "state": "str", "curvature": "str",
                  "k": "int", "rho": "float"},
        optional={"mode": "str", "layers": "str", "rho_reason": "str", "n_tie_decided": "int"},
        command="ricci-lit coefficients"),
    # paper 2's training trajectories and depth profiles
    "trajectory": TableSchema(
        required={"problem": "str", "architecture": "str", "epoch": "int", "seed": "int", "curvature": "str",
                  "k": "int", "rho": "float"},
        optional={"mode": "str", "rho_reason": "str", "n_tie_decided": "int"}, command="ricci-lit p2"),
    "depth": TableSchema(
        required={"problem": "str", "depth": "int", "seed": "int", "curvature": "str", "k": "int",
                  "rho": "float"},
        optional={"mode": "str", "n_tie_decided": "int"}, command="ricci-lit p2"),
    # chapter 9's networks (experiments.zoo): per state and curvature, per transition, per representation
    "networks": TableSchema(
        required={"problem": "str", "model": "str", "seed": "int", "state": "str", "curvature": "str",
                  "k": "int", "rho": "float", "test_accuracy": "float"},
        optional={"mode": "str", "rho_reason": "str", "n_tie_decided": "int", "local_mean": "float"},
        not_nan=("test_accuracy",), command="ricci-lit zoo"),
    "layers": TableSchema(
        required={"problem": "str", "model": "str", "seed": "int", "state": "str", "curvature": "str",
                  "k": "int", "transition": "int", "layer_rho": "float", "ric": "float", "eta": "float"},
        optional={"mode": "str"}, not_nan=("ric",), command="ricci-lit zoo"),
    "community": TableSchema(
        required={"problem": "str", "model": "str", "seed": "int", "state": "str", "layer": "int",
                  "modularity": "float", "normalized_cut": "float"},
        optional={"name": "str", "test_accuracy": "float"}, not_nan=("modularity",), command="ricci-lit zoo"),
}

#: The registered schemas, by table name (read-only view; add with :func:`register_schema`).
TABLE_SCHEMAS: Mapping[str, TableSchema] = MappingProxyType(_SCHEMAS)


def register_schema(table: str, schema: TableSchema, *, replace: bool = False) -> None:
    """Register the schema of ``table`` (an error if one is registered, unless ``replace``)."""
    if not isinstance(schema, TableSchema):
        raise TypeError(f"schema must be a TableSchema, got {type(schema).__name__}")
    if table in _SCHEMAS and not replace and _SCHEMAS[table] != schema:
        raise ValueError(f"table {table!r} already has a schema; pass replace=True to change it")
    _SCHEMAS[table] = schema


def schema_for(table: str) -> TableSchema | None:
    """The registered schema of ``table``, or ``None``."""
    return _SCHEMAS.get(table)
