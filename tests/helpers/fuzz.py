"""Tool arguments derived from a published input schema: valid-shaped ones, and ones broken in a way no schema allows.

Valid-shaped arguments follow the schema (and use the ids its descriptions give as examples, so calls reach real
entities and their rules); broken ones add an unknown name, a NUL byte, a wrong JSON type, nesting past any limit,
a number no backend can store, or a day out of range. A strategy per tool; examples drawn derandomized.
"""

from __future__ import annotations

import base64
import re
import string
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cadencia.tools.store.metadata import is_bookkeeping, metadata
from cadencia.tools.store.store import Store

Json = Any
EXAMPLE = re.compile(r"e\.g\. ([A-Za-z0-9-]+)")
IDS = st.text(alphabet=string.ascii_uppercase + string.digits + "-", min_size=1, max_size=12)


def _cursor(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode()


FORGED_CURSORS = [_cursor(p) for p in ("o:" + "9" * 40, "o:-5", "k:[99999999999999999999]", 'k:["\\u0000"]')]
"""Cursors no server issues and none may pass on to SQL: offsets and keys no database holds."""
PLAUSIBLE_CURSORS = st.sampled_from(
    [_cursor(p) for p in ("o:5", "k:[7]", 'k:["ML-000001"]', 'k:["2026-01-01","RV-000001"]', 'k:[7,"x"]', "k:[]")]
)
"""Cursors of the right form with keys of any type: a page, or a clean error."""


def value(schema: dict[str, Any]) -> st.SearchStrategy[Json]:
    """A value the schema accepts (text patterns, bounds, enums, dates, nested objects and lists)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        return arguments(schema)
    if kind == "array":
        low, high = schema.get("minItems", 0), min(schema.get("maxItems", 4), 4)
        return st.lists(value(schema.get("items", {})), min_size=low, max_size=max(low, high))
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**40) - 1) + 1)
        return st.integers(min_value=low, max_value=schema.get("maximum", 2**40))
    if kind == "number":
        return st.floats(schema.get("minimum", -1e9), schema.get("maximum", 1e9), allow_nan=False)
    if kind == "string":
        return _text(schema)
    return st.none()


def _text(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") == "date":
        return st.dates().map(lambda d: d.isoformat())
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
    text = st.text(min_size=low, max_size=max(low, min(high, 40)))
    example = EXAMPLE.search(schema.get("description", ""))
    if example:  # an id: the described example reaches a real entity, others are near misses
        return st.one_of(st.just(example.group(1)), IDS, text)
    return text


def arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Json]]:
    """Arguments for an object schema: every required name and any subset of the optional ones."""
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    values = {
        name: st.one_of(value(prop), PLAUSIBLE_CURSORS) if name == "cursor" else value(prop)
        for name, prop in properties.items()
    }
    return st.fixed_dictionaries(
        {name: values[name] for name in properties if name in required},
        optional={name: values[name] for name in properties if name not in required},
    )


def breakages(schema: dict[str, Any]) -> list[str]:
    """The ways `broken` can break arguments of this schema."""
    properties: dict[str, Any] = schema.get("properties", {})
    kinds = ["unknown", "deep", "type"]
    kinds += ["nul"] if _texts(properties) else []
    kinds += ["huge"] if any(p.get("type") == "integer" for p in properties.values()) else []
    kinds += ["day"] if any(p.get("format") == "date" for p in properties.values()) else []
    kinds += ["cursor"] if "cursor" in properties else []
    return kinds


def _texts(properties: dict[str, Any]) -> list[str]:
    return [n for n, p in properties.items() if p.get("type") == "string" and "format" not in p]


@st.composite
def broken(draw: st.DrawFn, schema: dict[str, Any], kind: str) -> dict[str, Json]:
    """Valid-shaped arguments with one change (of `kind`) that the schema, and so the server, must refuse."""
    properties: dict[str, Any] = schema.get("properties", {})
    args = draw(arguments(schema))
    if kind == "unknown":
        name = draw(st.sampled_from([*properties, "idempotencyKey", "x"]))
        return {**args, name + draw(st.sampled_from(["_", "s", "Id", "2"])): 1}
    if kind == "nul":
        name = draw(st.sampled_from(_texts(properties)))
        return {**args, name: draw(st.text(max_size=5)) + "\x00"}
    if kind == "huge":
        name = draw(st.sampled_from([n for n, p in properties.items() if p.get("type") == "integer"]))
        return {**args, name: draw(st.sampled_from([2**63, -(2**63) - 1, 10**30]))}
    if kind == "day":
        name = draw(st.sampled_from([n for n, p in properties.items() if p.get("format") == "date"]))
        return {**args, name: draw(st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30", "soon"]))}
    if kind == "cursor":
        return {**args, "cursor": draw(st.sampled_from(FORGED_CURSORS))}
    name = draw(st.sampled_from(list(properties))) if properties else "x"
    if kind == "deep":
        deep: Json = "x"
        for _ in range(40):
            deep = [deep]
        return {**args, name: deep}
    wrong = {"object": 7, "array": {"a": 1}}.get(properties.get(name, {}).get("type"), {"a": [1]})
    return {**args, name: wrong}


def examples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` examples of `strategy`, the same on every run (derandomized, no example database)."""
    found: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(example: Any) -> None:
        found.append(example)

    collect()
    return found[:count]


def count_writes(store: Store) -> None:
    """Count every row written to a world table (a rolled-back write is not counted): triggers on both backends."""
    tables = [t.name for t in metadata.sorted_tables if not is_bookkeeping(t)]
    postgres = store.engine.dialect.name == "postgresql"
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE fuzz_writes (n BIGINT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO fuzz_writes VALUES (0)")
        if postgres:
            conn.exec_driver_sql(
                "CREATE FUNCTION fuzz_count() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN UPDATE fuzz_writes SET n = n + 1; RETURN NULL; END $$"
            )
        for table in tables:
            if postgres:
                conn.exec_driver_sql(
                    f'CREATE TRIGGER fuzz_{table} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                    "FOR EACH ROW EXECUTE FUNCTION fuzz_count()"
                )
                continue
            for event in ("INSERT", "UPDATE", "DELETE"):
                conn.exec_driver_sql(
                    f'CREATE TRIGGER fuzz_{table}_{event.lower()} AFTER {event} ON "{table}" '
                    "BEGIN UPDATE fuzz_writes SET n = n + 1; END"
                )


def writes(store: Store) -> int:
    """Rows written to world tables since `count_writes`."""
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT n FROM fuzz_writes").scalar_one())
