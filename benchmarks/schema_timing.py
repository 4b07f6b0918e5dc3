"""Run by hostile_schemas.py in a rendered project's environment: times the mock's answer to
each schema (python schema_timing.py PACKAGE ROUNDS) and prints the table."""

import importlib
import json
import sys
import time
from typing import Any

Schema = dict[str, Any]


def strict_object(**properties: Any) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def nested_objects(levels: int) -> Schema:
    schema: Schema = {"type": "string"}
    for _ in range(levels):
        schema = strict_object(inner=schema)
    return schema


def multiplying(levels: int, width: int) -> Schema:
    """Arrays of arrays of ... each of at least `width` items: width ** levels strings."""
    defs: Schema = {
        f"L{n}": {"type": "array", "minItems": width, "items": {"$ref": f"#/$defs/L{n + 1}"}}
        for n in range(levels)
    }
    defs[f"L{levels}"] = {"type": "string", "minLength": 64}
    return {**strict_object(value={"$ref": "#/$defs/L0"}), "$defs": defs}


def any_of_ladder(levels: int) -> Schema:
    """anyOf at every level whose first member fails only at the bottom."""
    schema: Schema = {"type": "integer", "minimum": 5, "maximum": 3}
    for _ in range(levels):
        schema = {"anyOf": [strict_object(a=schema), strict_object(a={"type": "string"})]}
    return strict_object(top=schema)


TREE = {"$ref": "#/$defs/Node"}
ORDINARY: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "born": {"type": "string", "format": "date"},
        "email": {"type": "string", "format": "email"},
        "colour": {"enum": ["red", "green", "blue"]},
        "nickname": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "kind": {"const": "person"},
        "code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"},
        "address": strict_object(street={"type": "string"}, city={"type": "string"}),
    },
    "required": [
        "name",
        "age",
        "born",
        "email",
        "colour",
        "nickname",
        "tags",
        "score",
        "kind",
        "code",
        "address",
    ],
    "additionalProperties": False,
}
HOSTILE: dict[str, tuple[Schema, bool]] = {
    "objects 11 deep (strict's limit)": (nested_objects(11), True),
    "objects 12 deep, strict": (nested_objects(12), True),
    "objects 300 deep": (nested_objects(300), False),
    "5,000 properties": (strict_object(**{f"p{n}": {"type": "string"} for n in range(5000)}), True),
    "enum of 100,000 values": (strict_object(value={"enum": list(range(100_000))}), False),
    "recursive tree, 2 children required": (
        {
            **TREE,
            "$defs": {
                "Node": strict_object(children={"type": "array", "items": TREE, "minItems": 2})
            },
        },
        False,
    ),
    "recursive tree, children optional": (
        {**TREE, "$defs": {"Node": strict_object(children={"type": "array", "items": TREE})}},
        False,  # (strict mode wants an object at the root, not a $ref)
    ),
    "$ref loop": ({**TREE, "$defs": {"Node": TREE}}, False),
    "64 ** 3 items through $refs": (multiplying(3, 64), False),
    "8 ** 5 properties through $refs": (
        {
            **strict_object(value={"$ref": "#/$defs/L0"}),
            "$defs": {
                **{
                    f"L{n}": strict_object(
                        **{key: {"$ref": f"#/$defs/L{n + 1}"} for key in "abcdefgh"}
                    )
                    for n in range(5)
                },
                "L5": {"type": "string"},
            },
        },
        False,
    ),
    "anyOf ladder 30 deep": (any_of_ladder(30), False),
    "minimum above maximum": (
        strict_object(v={"type": "integer", "minimum": 9, "maximum": 1}),
        True,
    ),
    "allOf string and integer": (
        strict_object(v={"allOf": [{"type": "string"}, {"type": "integer"}]}),
        False,
    ),
    "pattern with a lookahead": (strict_object(v={"type": "string", "pattern": "(?=a)b"}), True),
    "pattern a{4096} x 8": (strict_object(v={"type": "string", "pattern": "a{4096}" * 8}), True),
    "backtracking pattern": (
        strict_object(v={"type": "string", "pattern": "^(a+)+$", "minLength": 2000}),
        True,
    ),
    "1 MB const": (strict_object(v={"const": "x" * 1_000_000}), True),
}


def answer(package: str, schema: Schema, strict: bool) -> str:
    """What the mock answers: the JSON's length, or the 400's message."""
    structured = importlib.import_module(f"{package}.services.mock.structured")
    errors = importlib.import_module(f"{package}.core.errors")
    given = {
        "type": "json_schema",
        "json_schema": {"name": "x", "schema": schema, "strict": strict},
    }
    try:
        output = structured.output_format(given, "response_format", ["Hello"], nested=True)
        text = structured.structured_text(output, "Hello", 0)
    except errors.OpenAIError as error:
        return f"400: {error.detail.message[:60]}"
    return f"value of {len(text):,} characters"


def best_ms(package: str, schema: Schema, strict: bool, rounds: int) -> tuple[float, str]:
    times, outcome = [], ""
    for _ in range(rounds):
        started = time.perf_counter()
        outcome = answer(package, schema, strict)
        times.append((time.perf_counter() - started) * 1000)
    return min(times), outcome


def main() -> None:
    package, rounds = sys.argv[1], int(sys.argv[2])
    sys.setrecursionlimit(1000)  # the server's
    baseline, outcome = best_ms(package, ORDINARY, True, rounds)
    print(f"{'schema':<40} {'ms':>8} {'ratio':>7}  answer")
    print(f"{'ordinary (11 fields, strict)':<40} {baseline:8.2f} {1:7.1f}  {outcome}")
    for name, (schema, strict) in HOSTILE.items():
        size = len(json.dumps(schema))
        ms, outcome = best_ms(package, schema, strict, rounds)
        label = f"{name} ({size:,} B)"
        print(f"{label:<40} {ms:8.2f} {ms / baseline:7.1f}  {outcome}")


if __name__ == "__main__":
    main()
