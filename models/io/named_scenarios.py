"""Saving a named what-if into a scenario file's `scenarios:` section.

The file is the user's: a YAML file keeps its comments, order and layout (ruamel.yaml's
round-trip mode; only the new entry is added), a JSON file its structure, a workbook its
sheets. The changed file is validated before it is written, written atomically, and read
back to check that the what-if is there as given. A name already in the file is never
replaced unless the caller says so.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pbo.models.errors import InputError
from pbo.models.io.export import write_atomic
from pbo.models.io.loading import read_data, scenario_from_data
from pbo.models.overrides import apply_overrides, named_changes


def check_name(name: str) -> str:
    """The name as the scenario's `scenarios:` keys take it (an id), or a plain InputError."""
    from pydantic import TypeAdapter, ValidationError

    from pbo.models.base import Id

    name = name.strip()
    if not name:
        raise InputError("scenarios: a what-if needs a name")
    try:
        TypeAdapter(Id).validate_python(name)
    except ValidationError:
        raise InputError(f"scenarios[{name!r}]: a what-if's name is an id: a letter or _ "
                         "first, then letters, digits, _ or -, at most 80 characters") from None
    return name


def save_named_scenario(path: Path, name: str, changes: Mapping[str, Any], *,
                        replace: bool = False) -> None:
    """Add `changes` to the file at `path` as the what-if `name` (InputError if the result
    would not validate, or if `name` exists and `replace` is false)."""
    name = check_name(name)
    data = read_data(path)
    defined = data.get("scenarios") or {}
    if name in defined and not replace:
        raise InputError(f"scenarios[{name}]: a what-if with this name is already in "
                         f"{path.name}; choose another name")
    items = list(changes.items())
    scenario_from_data(apply_overrides(data, items))  # the what-if itself is valid
    updated = dict(data)
    updated["scenarios"] = {**defined, name: dict(items)}
    scenario = scenario_from_data(updated)  # and so is the file with it
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        text = _yaml_with(path.read_text(encoding="utf-8"), name, items)
        write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    elif suffix == ".json":
        text = json.dumps(updated, indent=2, ensure_ascii=False) + "\n"
        write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    else:
        from pbo.models.io.export import write_scenario

        write_scenario(path, scenario)
    saved = named_changes(read_data(path), [name])
    if [(p, v) for p, v in saved] != items:
        raise InputError(f"scenarios[{name}]: the file did not read back as written")


def _yaml_with(text: str, name: str, items: list[tuple[str, Any]]) -> str:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML()  # round trip: comments, order and quoting kept
    yaml.preserve_quotes = True
    yaml.width = 100
    doc = yaml.load(text)
    if doc.get("scenarios") is None:
        doc["scenarios"] = CommentedMap()
    entry = CommentedMap()
    for path, value in items:
        entry[path] = value
    doc["scenarios"][name] = entry
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()
