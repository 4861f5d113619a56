"""The province as one YAML document: offices with their services and counters, then users.

Read through PyYAML's node graph rather than its Python objects: every value keeps
its line (the node's mark), and values are taken as the text written, so ``8:00``
stays a time rather than YAML 1.1's sexagesimal 480, and ``no`` a word.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from server.engine.errors import N_
from server.province.fields import COLUMNS, Cell, Row
from server.province.problems import Problems, Where
from server.province.records import Province

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL = "tag:yaml.org,2002:null"  # a plain ``null``, ``~`` or nothing, as YAML resolves it
#: Keys a YAML office holds besides its own fields; a service or counter names no office.
_NESTED = ("services", "counters")

HEADER = (
    "# Nobat province: offices with their services and counters, then staff users.\n"
    "# Format: docs/province-files.md. Passwords are never written here.\n"
)


def read(text: str, name: str, problems: Problems) -> list[Row]:
    """The rows of a YAML province file; what cannot be read goes to ``problems``."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problems.add(Where(name, line), N_("not valid YAML: %(problem)s"), problem=error.problem)
        return []
    except RecursionError:  # PyYAML's own composer, without libyaml's depth limit
        problems.add(Where(name, 1), N_("not valid YAML: %(problem)s"), problem="nested too deep")
        return []
    except yaml.YAMLError as error:  # a character YAML does not allow
        position = getattr(error, "position", 0)
        line = text.count("\n", 0, position) + 1
        problems.add(Where(name, line), N_("not valid YAML: %(problem)s"), problem=str(error))
        return []
    return _Walk(name, problems).province(root)


class _Walk:
    """A walk over the node graph that visits each node once (an alias would repeat one)."""

    def __init__(self, name: str, problems: Problems) -> None:
        self.name, self.problems = name, problems
        self.rows: list[Row] = []
        self.seen: set[int] = set()
        self.offices: set[str] = set()

    def where(self, node: Node) -> Where:
        return Where(self.name, node.start_mark.line + 1)

    def fresh(self, node: Node) -> bool:
        """False, with a problem, for a node met before through an alias (``*name``).

        The node is the anchored one, so the problem names the anchor's line: an alias
        keeps no place of its own in PyYAML's node graph.
        """
        if id(node) in self.seen:
            self.problems.add(
                self.where(node),
                N_("what starts here is repeated by an alias (*): aliases are not allowed"),
            )
            return False
        self.seen.add(id(node))
        return True

    def province(self, root: Node | None) -> list[Row]:
        if root is None or not isinstance(root, MappingNode):
            where = self.where(root) if root is not None else Where(self.name, 1)
            self.problems.add(where, N_("a province file is a mapping with offices and users"))
            return []
        fields, unknown = self.pairs(root, ("offices", "users"))
        for name in unknown:
            where = Where(self.name, name.line)
            self.problems.add(where, N_('unknown field "%(field)s"'), field=name.value)
        for key, value in fields.items():
            for item in self.mappings(value, key):
                if key == "offices":
                    self.office(item)
                else:
                    self.rows.append(self.row("users", item, COLUMNS["users"]))
        return self.rows

    def office(self, node: MappingNode) -> None:
        fields, unknown = self.pairs(node, (*COLUMNS["offices"], *_NESTED))
        own = {k: v for k, v in fields.items() if k not in _NESTED}
        office = self.row("offices", node, COLUMNS["offices"], (own, unknown))
        self.rows.append(office)
        code = office.cells.get("code")
        if code is None or not isinstance(code.value, str) or code.value in self.offices:
            return  # unnamed, or listed twice: the office's own problem says it, not each part
        self.offices.add(code.value)
        for kind in _NESTED:
            if kind in fields:
                columns = tuple(c for c in COLUMNS[kind] if c != "office")
                for item in self.mappings(fields[kind], kind):
                    row = self.row(kind, item, columns)
                    row.cells["office"] = code
                    self.rows.append(row)

    def row(
        self,
        kind: str,
        node: MappingNode,
        columns: tuple[str, ...],
        paired: tuple[dict[str, Node], list[Cell]] | None = None,
    ) -> Row:
        fields, unknown = self.pairs(node, columns) if paired is None else paired
        cells = {}
        for name, value in fields.items():
            if name == "services" and kind == "counters":
                cell = self.tiers(value)
            elif name == "offices" and kind == "users":
                cell = self.codes(value)
            else:
                cell = self.scalar(value, name)
            if cell is not None:
                cells[name] = cell
        return Row(kind, self.where(node), cells, unknown)

    def pairs(
        self, node: MappingNode, allowed: tuple[str, ...]
    ) -> tuple[dict[str, Node], list[Cell]]:
        """A mapping's values by key, and its unknown keys; a repeated key is a problem."""
        found: dict[str, Node] = {}
        unknown: list[Cell] = []
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                self.problems.add(self.where(key), N_("a key must be a plain name"))
            elif key.value not in allowed:
                unknown.append(Cell(key.value, key.start_mark.line + 1))
            elif key.value in found:
                self.problems.add(
                    self.where(key), N_('field "%(field)s" is given twice'), field=key.value
                )
            else:
                found[key.value] = value
        return found, unknown

    def mappings(self, node: Node, name: str) -> list[MappingNode]:
        """The mappings of a list (``- code: …``); anything else in it is a problem."""
        if _is_null(node):
            return []
        if not isinstance(node, SequenceNode):
            self.problems.add(self.where(node), N_("%(field)s must be a list"), field=name)
            return []
        if not self.fresh(node):
            return []
        found = []
        for item in node.value:
            if not isinstance(item, MappingNode):
                self.problems.add(
                    self.where(item), N_("each of %(field)s must be a mapping"), field=name
                )
            elif self.fresh(item):
                found.append(item)
        return found

    def scalar(self, node: Node, name: str) -> Cell | None:
        line = node.start_mark.line + 1
        if not isinstance(node, ScalarNode):
            self.problems.add(self.where(node), N_("%(field)s must be one value"), field=name)
            return None
        if _is_null(node):
            return Cell(None, line)
        return Cell(node.value, line)

    def tiers(self, node: Node) -> Cell | None:
        """A counter's services: a mapping of service codes to tiers (``national-id: 1``)."""
        if _is_null(node):
            return Cell((), node.start_mark.line + 1)
        if not isinstance(node, MappingNode):
            self.problems.add(
                self.where(node), N_("services must be a mapping of service codes to tiers")
            )
            return None
        if not self.fresh(node):
            return None
        pairs = []
        for key, value in node.value:
            code, tier = self.scalar(key, "services"), self.scalar(value, "services")
            if code is None or tier is None:
                return None
            pairs.append((code, tier))
        return Cell(tuple(pairs), node.start_mark.line + 1)

    def codes(self, node: Node) -> Cell | None:
        """A user's offices: a list of codes (one code alone is a list of one)."""
        if isinstance(node, ScalarNode):
            cell = self.scalar(node, "offices")
            return cell if cell is None or cell.value is None else Cell((cell,), cell.line)
        if not isinstance(node, SequenceNode):
            self.problems.add(self.where(node), N_("offices must be a list of office codes"))
            return None
        if not self.fresh(node):
            return None
        cells = [self.scalar(item, "offices") for item in node.value]
        if any(cell is None for cell in cells):
            return None
        return Cell(tuple(cells), node.start_mark.line + 1)


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


class _Flow(list):
    """A short list written on one line: a user's offices, ``[amol, babol]``."""


class _Clock(str):
    """A time of day written plain, ``13:30``: this module reads the text, so YAML 1.1's
    sexagesimal reading (810), which would make PyYAML quote it, does not matter."""


def _plain(dumper: yaml.SafeDumper, data: _Clock) -> Node:
    # Tagged as the plain text resolves, so the emitter needs neither quotes nor a tag.
    text = str(data)
    return dumper.represent_scalar(dumper.resolve(ScalarNode, text, (True, False)), text)


def _flow(dumper: yaml.SafeDumper, data: _Flow) -> Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def dumper(base: type[yaml.SafeDumper]) -> type[yaml.SafeDumper]:
    """A dumper of province files on ``base``: libyaml's emitter (six times as fast) or
    PyYAML's own, which write the same bytes (a test holds them to it)."""
    made = type("ProvinceDumper", (base,), {})
    made.add_representer(_Flow, _flow)
    made.add_representer(_Clock, _plain)
    return made


_DUMPER = dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper))


def write(province: Province, dumper: type[yaml.SafeDumper] = _DUMPER) -> str:
    """The province as YAML text, the same text for the same province."""
    services: dict[str, list[dict[str, Any]]] = {}
    for s in province.services:
        services.setdefault(s.office, []).append(
            {
                "code": s.code,
                "letter": s.letter,
                "group": s.group,
                "name_fa": s.name_fa,
                "name_en": s.name_en,
                "target_wait_seconds": s.target_wait_seconds,
                "daily_cap": s.daily_cap,
                "opens_at": _clock(s.opens_at),
                "closes_at": _clock(s.closes_at),
                "active": s.active,
            }
        )
    counters: dict[str, list[dict[str, Any]]] = {}
    for c in province.counters:
        counters.setdefault(c.office, []).append(
            {"number": c.number, "name": c.name, "name_en": c.name_en, "services": dict(c.services)}
        )
    document = {
        "offices": [
            {
                "code": o.code,
                "name_fa": o.name_fa,
                "name_en": o.name_en,
                "timezone": o.timezone,
                "routing_policy": o.routing_policy,
                "services": services.get(o.code, []),
                "counters": counters.get(o.code, []),
            }
            for o in province.offices
        ],
        "users": [
            {
                "username": u.username,
                "full_name": u.full_name,
                "role": u.role,
                "offices": _Flow(u.offices),
                "active": u.active,
            }
            for u in province.users
        ],
    }
    body = yaml.dump(
        document,
        Dumper=dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10_000,
    )
    return HEADER + body


def _clock(value: Any) -> str | None:
    return None if value is None else _Clock(value.strftime("%H:%M"))
