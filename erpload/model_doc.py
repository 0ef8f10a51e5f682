"""`erpload model`: the canonical model as a contract a profile author can follow, in text, markdown or JSON.

Everything comes from `erpload/canonical.py` (type, required, allowed values, references, meaning) and,
with a target, from that target's contract (`erpload/targets.py`): one source, nothing restated here.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from erpload import canonical
from erpload.canonical import Column, Entity
from erpload.targets import TargetContract

FORMATS = ("text", "markdown", "json")


@dataclass(frozen=True)
class _Row:
    """One column as the contract shows it."""

    entity: Entity
    column: Column

    @property
    def is_key(self) -> bool:
        return self.column.name in self.entity.key

    @property
    def required(self) -> str:
        return "key" if self.is_key else ("required" if not self.column.nullable else "")

    @property
    def references(self) -> str:
        """The records this column names, which must exist: `<entity>.<key column>` (and when it applies).

        Read from the entity's references where the model declares them (each names its columns in the
        order of the referenced key; the last one is the column it is shown on)."""
        shown = []
        refs: Any = getattr(self.entity, "references", ())
        for ref in refs:
            columns = tuple(ref.columns)
            if columns and columns[-1] == self.column.name:
                key = canonical.entity(ref.entity).key
                target = key[len(key) - 1] if len(key) == len(columns) else columns[-1]
                when = f" when {ref.when}" if getattr(ref, "when", "") else ""
                shown.append(f"{ref.entity}.{target}{when}")
        return ", ".join(shown)


def _selection(target: TargetContract | None) -> list[tuple[Entity, list[_Row]]]:
    """Every entity with its columns, or only what `target` reads, in the model's order."""
    chosen = []
    for ent in canonical.ENTITIES:
        if target is not None and ent.name not in target.reads:
            continue
        wanted = target.reads[ent.name] if target is not None else ent.column_names
        chosen.append((ent, [_Row(ent, c) for c in ent.columns if c.name in wanted]))
    return chosen


def _preamble(target: TargetContract | None) -> list[str]:
    lines = ["The canonical model: per entity, the columns a profile's select must return (all of them, by these "
             "names and types; `erpload map` checks it). 'required' columns may not be NULL: such rows go to "
             "erpload.rejects. A column with allowed values takes no other value: translate the ERP's codes in the "
             "select."]
    if any(getattr(r, "erp_id_column", None) for e in canonical.ENTITIES for r in getattr(e, "references", ())):
        lines.append("A column that references another entity must name a record of it where the profile maps "
                     "that entity, or the row goes to "
                     "erpload.rejects; beside it the select may return <column>__erp_id, the ERP's id of that "
                     "record from its LEFT JOIN, so the reject can name what is missing.")
    if target is not None:
        lines.append(f"Target {target.name} ({target.doc}) reads the entities and columns below; the profile must "
                     "map each of these entities (an empty select where the ERP has no such records) and still "
                     "return every canonical column of it.")
    return lines


def render(fmt: str, target: TargetContract | None = None) -> str:
    """The model (or what `target` reads) in `fmt`: text, markdown or json."""
    if fmt == "json":
        return _json(target)
    if fmt == "markdown":
        return _markdown(target)
    return _text(target)


def _json(target: TargetContract | None) -> str:
    doc = {
        "target": None if target is None else {"name": target.name, "doc": target.doc},
        "entities": [
            {"name": ent.name, "doc": ent.doc, "key": list(ent.key),
             "columns": [{"name": r.column.name, "type": r.column.type, "key": r.is_key,
                          "required": not r.column.nullable, "allowed": list(r.column.allowed),
                          "references": r.references or None, "doc": r.column.doc} for r in rows]}
            for ent, rows in _selection(target)
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _meaning(row: _Row) -> str:
    parts = [row.column.doc] if row.column.doc else []
    if row.column.allowed:
        parts.append("allowed: " + " | ".join(row.column.allowed))
    if row.references:
        parts.append("references " + row.references)
    return "; ".join(parts)


def _text(target: TargetContract | None) -> str:
    out = ["\n\n".join(textwrap.fill(p, 110) for p in _preamble(target)), ""]
    for ent, rows in _selection(target):
        out.append(f"{ent.name}  (key: {', '.join(ent.key)})  {ent.doc}")
        width = max(len(r.column.name) for r in rows)
        for r in rows:
            out.append(f"  {r.column.name:<{width}}  {r.column.type:<13}  {r.required:<8}  {_meaning(r)}".rstrip())
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown(target: TargetContract | None) -> str:
    selection = _selection(target)
    with_refs = any(r.references for _, rows in selection for r in rows)
    head: Sequence[str] = ("column", "type", "required", "allowed values", *(("references",) if with_refs else ()),
                           "meaning")
    out = [" ".join(_preamble(target)), ""]
    for ent, rows in selection:
        out += [f"### `{ent.name}`", "", f"{ent.doc} Key: {', '.join(ent.key)}.", "",
                "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in rows:
            cells = [f"`{r.column.name}`", r.column.type.lower(), r.required,
                     " \\| ".join(f"`{v}`" for v in r.column.allowed),
                     *((_cell(r.references),) if with_refs else ()), _cell(r.column.doc)]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
