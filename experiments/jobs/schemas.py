"""JSON Schemas of Catfish's input files, for editors that check YAML as it is typed.

Each kind of file (scenario, comparison, sweep, sensitivity analysis) is declared as pydantic
models; their JSON Schema is what VS Code's YAML extension (and any editor speaking the YAML
language server) checks a file against, offering field names, descriptions and allowed ranges.
A scenario's ``policies`` are refined per instrument: an item whose ``instrument`` is
``grant`` gets the grant's own parameters, with their bounds and units
(``catfish.sim.policy``). The schemas ship in ``catfish/scenarios/schemas/`` (written by
``catfish schema KIND``; a test keeps them in step with the models), and every shipped file
names its schema in its first line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catfish.experiments.runs.sensitivity_spec import SensitivitySpec
from catfish.scenarios.comparison import ComparisonSpec
from catfish.scenarios.schema import Scenario
from catfish.scenarios.sweep import SweepSpec
from catfish.sim.policy import REGISTRY
from pydantic import TypeAdapter

KINDS = {"scenario": Scenario, "comparison": ComparisonSpec, "sweep": SweepSpec,
         "sensitivity": SensitivitySpec}
FOLDER = Path(__file__).resolve().parents[2] / "scenarios" / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def file_name(kind: str) -> str:
    """The shipped schema's file name, e.g. ``scenario.schema.json``."""
    return f"{kind}.schema.json"


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of input file.

    Raises:
        KeyError: An unknown kind.
    """
    model = KINDS[kind]
    found = model.model_json_schema()
    found = {"$schema": DIALECT, "$id": f"catfish:{file_name(kind)}", **found}
    _refine_policies(found)
    return found


def text(kind: str) -> str:
    """The schema as the shipped file holds it (sorted keys, two-space indent, final newline)."""
    return json.dumps(schema(kind), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _refine_policies(found: dict[str, Any]) -> None:
    """Give each instrument's policy items that instrument's parameters (if/then per name)."""
    definitions = found.setdefault("$defs", {})
    spec = definitions.get("PolicySpec")
    if spec is None:
        return
    branches = []
    for name, cls in sorted(REGISTRY.items()):
        own = TypeAdapter(cls).json_schema()
        key = f"Instrument_{name}"
        properties = {"instrument": {"const": name},
                      **{k: v for k, v in own.get("properties", {}).items()}}
        for field, value in list(properties.items()):
            if isinstance(value, dict) and "$ref" in value:  # nested definitions of its own
                properties[field] = {"description": value.get("description", "")}
        definitions[key] = {"type": "object", "description": own.get("description", ""),
                            "properties": properties, "additionalProperties": False}
        branches.append({"if": {"properties": {"instrument": {"const": name}},
                                "required": ["instrument"]},
                         "then": {"$ref": f"#/$defs/{key}"}})
    spec["allOf"] = [*spec.get("allOf", []), *branches]
    spec["properties"] = {**spec.get("properties", {}),
                          "instrument": {"enum": sorted(REGISTRY),
                                         "description": "the instrument's name (catfish "
                                                        "policies lists them)"}}
