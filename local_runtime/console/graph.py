"""The state machine as a picture: its edges read from the ASL definition, a layered layout, an inline SVG.

Drawn by our own code from the synthesized definition (no graph library, no network
asset), top to bottom as the Step Functions console draws it. The layout is a small
Sugiyama: back edges (loops) are found by a depth-first walk from `StartAt` and laid
out reversed, each state's layer is its longest path from the start, an edge that
skips layers gets a bend point per layer it crosses, the order within a layer comes
from barycenter sweeps, and x positions are pulled towards neighbours.

`Lit` says what one ticket's executions did: the states they entered, the edges they
took, the state the newest execution is in (or ended in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

NODE_WIDTH = 176
NODE_HEIGHT = 38
LAYER_GAP = 40
NODE_GAP = 26
BEND_GAP = 18  # room a bend point of a long edge takes in its layer
MARGIN = 24
# The depth-first walk follows Next and Default before Choices: the main path, so loops close on rarer branches.
_KIND_ORDER = {"next": 0, "default": 1, "choice": 2, "catch": 3}


@dataclass(frozen=True)
class Edge:
    """One transition of the definition: `kind` is next, choice, default or catch; `label` says when."""

    source: str
    target: str
    kind: str
    label: str = ""


def _choice_label(rule: Mapping[str, Any]) -> str:
    """A short name for a Choice rule: the value it compares with (a boolean test names its variable)."""
    for key, value in rule.items():
        if key in ("Next", "Variable") or key.endswith("Path"):
            continue
        if isinstance(value, bool):
            variable = str(rule.get("Variable", ""))
            name = variable.rsplit(".", 1)[-1]
            return name if value else f"not {name}"
        if isinstance(value, str | int | float):
            return str(value)
    return "rule"


def _catch_label(catcher: Mapping[str, Any]) -> str:
    errors = [str(e) for e in catcher.get("ErrorEquals", [])]
    return "" if errors == ["States.ALL"] else ", ".join(errors)


def edges_of(definition: Mapping[str, Any]) -> list[Edge]:
    """Every transition the definition names, in the order a state lists them."""
    found: list[Edge] = []
    for name, state in definition["States"].items():
        if "Next" in state:
            found.append(Edge(name, state["Next"], "next"))
        for rule in state.get("Choices", []):
            found.append(Edge(name, rule["Next"], "choice", _choice_label(rule)))
        if "Default" in state:
            found.append(Edge(name, state["Default"], "default", "default"))
        for catcher in state.get("Catch", []):
            found.append(Edge(name, catcher["Next"], "catch", _catch_label(catcher)))
    return found


@dataclass(frozen=True)
class Placed:
    name: str
    type: str
    layer: int
    x: float  # the centre
    y: float  # the top


@dataclass(frozen=True)
class Route:
    """An edge as drawn: its points from the source's bottom to the target's top (or side, for a loop)."""

    edge: Edge
    points: tuple[tuple[float, float], ...]
    back: bool


@dataclass(frozen=True)
class Layout:
    start: str
    states: dict[str, Placed]
    routes: list[Route]
    width: float
    height: float


def _back_edges(start: str, names: list[str], edges: list[Edge]) -> set[tuple[str, str]]:
    """Edges that close a loop: they point at a state still on the depth-first path from the start."""
    children: dict[str, list[str]] = {n: [] for n in names}
    for edge in sorted(edges, key=lambda e: _KIND_ORDER[e.kind]):
        if edge.target not in children[edge.source]:
            children[edge.source].append(edge.target)
    back: set[tuple[str, str]] = set()
    seen: set[str] = set()
    on_path: set[str] = set()
    for root in [start, *names]:  # unreachable states are laid out too
        if root in seen:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        seen.add(root)
        on_path.add(root)
        while stack:
            node, index = stack[-1]
            if index < len(children[node]):
                stack[-1] = (node, index + 1)
                child = children[node][index]
                if child in on_path:
                    back.add((node, child))
                elif child not in seen:
                    seen.add(child)
                    on_path.add(child)
                    stack.append((child, 0))
            else:
                on_path.discard(node)
                stack.pop()
    return back


def _layers(names: list[str], forward: set[tuple[str, str]]) -> dict[str, int]:
    """Each state's longest path from a source over the forward edges (the edges form a DAG)."""
    incoming: dict[str, list[str]] = {n: [] for n in names}
    for source, target in forward:
        incoming[target].append(source)
    layer: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in layer:
            stack = [name]
            while stack:
                top = stack[-1]
                pending = [s for s in incoming[top] if s not in layer]
                if pending:
                    stack.extend(pending)
                    continue
                layer[top] = max((layer[s] + 1 for s in incoming[top]), default=0)
                stack.pop()
        return layer[name]

    for name in names:
        depth(name)
    return layer


@dataclass
class _Graph:
    """The layered graph with bend points: real states and one virtual node per layer a long edge crosses."""

    layer_of: dict[str, int] = field(default_factory=dict)
    down: dict[str, list[str]] = field(default_factory=dict)  # towards higher layers
    up: dict[str, list[str]] = field(default_factory=dict)
    chains: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (upper, lower) -> nodes, ends included

    def add(self, node: str, layer: int) -> None:
        self.layer_of[node] = layer
        self.down.setdefault(node, [])
        self.up.setdefault(node, [])

    def link(self, upper: str, lower: str) -> None:
        self.down[upper].append(lower)
        self.up[lower].append(upper)


def _order(graph: _Graph, names: list[str], sweeps: int = 6) -> list[list[str]]:
    depth = max(graph.layer_of.values(), default=0) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    for node in graph.layer_of:  # definition order first: a stable, readable start
        rows[graph.layer_of[node]].append(node)
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        indices = range(1, depth) if downward else range(depth - 2, -1, -1)
        for i in indices:
            neighbour_row = rows[i - 1] if downward else rows[i + 1]
            rows[i] = _by_barycentre(rows[i], neighbour_row, graph.up if downward else graph.down)
    return rows


def _by_barycentre(row: list[str], neighbour_row: list[str], links: dict[str, list[str]]) -> list[str]:
    """The row sorted by the mean position of each node's neighbours in the adjacent row."""
    position = {n: p for p, n in enumerate(neighbour_row)}

    def centre(node: str) -> float:
        found = [position[n] for n in links[node] if n in position]
        return sum(found) / len(found) if found else float(row.index(node))

    return sorted(row, key=centre)


def _width(node: str, names: set[str]) -> float:
    return NODE_WIDTH if node in names else BEND_GAP


def _positions(graph: _Graph, rows: list[list[str]], names: set[str], passes: int = 12) -> dict[str, float]:
    """Centres, pulled towards the mean of their neighbours, keeping each row's order and spacing."""
    x: dict[str, float] = {}
    for row in rows:
        cursor = 0.0
        for node in row:
            w = _width(node, names)
            x[node] = cursor + w / 2
            cursor += w + NODE_GAP
    for p in range(passes):
        links = graph.up if p % 2 == 0 else graph.down
        for row in rows if p % 2 == 0 else reversed(rows):
            wanted = {}
            for node in row:
                near = [x[n] for n in links[node]] or [x[node]]
                wanted[node] = sum(near) / len(near)
            # Place left to right at the wanted centre or as near as spacing allows, then shift the row
            # so that on average it sits where it wanted to be.
            placed: list[float] = []
            for i, node in enumerate(row):
                centre = wanted[node]
                if i:
                    gap = (_width(row[i - 1], names) + _width(node, names)) / 2 + NODE_GAP
                    centre = max(centre, placed[-1] + gap)
                placed.append(centre)
            shift = sum(wanted[n] - c for n, c in zip(row, placed, strict=True)) / len(row) if row else 0.0
            for node, centre in zip(row, placed, strict=True):
                x[node] = centre + shift
    left = min(x[n] - _width(n, names) / 2 for n in x) if x else 0.0
    return {n: v - left + MARGIN for n, v in x.items()}


def layout(definition: Mapping[str, Any]) -> Layout:
    """Where each state and each edge of the definition goes."""
    states: dict[str, Any] = definition["States"]
    names = list(states)
    edges = edges_of(definition)
    back = _back_edges(definition["StartAt"], names, edges)
    forward = {(e.source, e.target) for e in edges if (e.source, e.target) not in back and e.source != e.target}
    forward |= {(t, s) for s, t in back if s != t}  # a loop is laid out as if it ran upwards
    layer = _layers(names, forward)

    graph = _Graph()
    for name in names:
        graph.add(name, layer[name])
    for upper, lower in sorted(forward, key=lambda pair: (names.index(pair[0]), names.index(pair[1]))):
        chain = [upper]
        for step in range(layer[upper] + 1, layer[lower]):
            bend = f"\0{upper}\0{lower}\0{step}"
            graph.add(bend, step)
            chain.append(bend)
        chain.append(lower)
        for a, b in zip(chain, chain[1:], strict=False):
            graph.link(a, b)
        graph.chains[(upper, lower)] = chain

    rows = _order(graph, names)
    real = set(names)
    x = _positions(graph, rows, real)
    top = {i: MARGIN + i * (NODE_HEIGHT + LAYER_GAP) for i in range(len(rows))}
    placed = {n: Placed(n, str(states[n]["Type"]), layer[n], x[n], top[layer[n]]) for n in names}

    routes: list[Route] = []
    for edge in edges:
        pair = (edge.source, edge.target)
        if edge.source == edge.target:
            s = placed[edge.source]
            right = s.x + NODE_WIDTH / 2
            loop = ((right, s.y + 10), (right + 24, s.y + NODE_HEIGHT / 2), (right, s.y + NODE_HEIGHT - 10))
            routes.append(Route(edge, loop, True))
            continue
        is_back = pair in back
        chain = graph.chains[(edge.target, edge.source)] if is_back else graph.chains[pair]
        middle = tuple((x[n], top[graph.layer_of[n]] + NODE_HEIGHT / 2) for n in chain[1:-1])
        above, below = placed[chain[0]], placed[chain[-1]]
        points: tuple[tuple[float, float], ...] = ((above.x, above.y + NODE_HEIGHT), *middle, (below.x, below.y))
        routes.append(Route(edge, tuple(reversed(points)) if is_back else points, is_back))

    width = max((x[n] + _width(n, real) / 2 for n in x), default=0.0) + MARGIN
    height = MARGIN * 2 + len(rows) * NODE_HEIGHT + max(len(rows) - 1, 0) * LAYER_GAP
    return Layout(definition["StartAt"], placed, routes, width, height)


@dataclass(frozen=True)
class Lit:
    """What a ticket's executions did in the state machine, for lighting the picture."""

    visited: frozenset[str] = frozenset()
    taken: frozenset[tuple[str, str]] = frozenset()
    current: str | None = None
    # True while the newest execution still runs (the current state is in progress), else it ended there.
    running: bool = False
    failed: frozenset[str] = frozenset()

    @staticmethod
    def of_paths(paths: Iterable[list[str]], edges: Iterable[Edge], *, running: bool, ended_badly: bool = False) -> Lit:
        """From each execution's entered states, in order (oldest execution first).

        A state counts as failed when an execution left it through a Catch only (its error was
        caught), or when it is where the newest execution stopped failed, timed out or aborted.
        """
        kinds: dict[tuple[str, str], set[str]] = {}
        for edge in edges:
            kinds.setdefault((edge.source, edge.target), set()).add(edge.kind)
        visited: set[str] = set()
        taken: set[tuple[str, str]] = set()
        failed: set[str] = set()
        current = None
        for path in paths:
            visited.update(path)
            for pair in zip(path, path[1:], strict=False):
                taken.add(pair)
                if kinds.get(pair) == {"catch"}:
                    failed.add(pair[0])
            current = path[-1] if path else current
        if ended_badly and current is not None and not running:
            failed.add(current)
        return Lit(frozenset(visited), frozenset(taken), current, running, frozenset(failed))


def _status(name: str, state_type: str, lit: Lit) -> str:
    if name == lit.current:
        if state_type == "Fail" or name in lit.failed:
            return "current failed"
        return "current running" if lit.running else "current"
    if name in lit.failed:
        return "failed"
    return "visited" if name in lit.visited else "idle"


def _path(points: tuple[tuple[float, float], ...]) -> str:
    """A smooth path through the points: vertical tangents at each end, as a graph view draws edges."""
    (x0, y0), rest = points[0], points[1:]
    d = [f"M{x0:.1f},{y0:.1f}"]
    px, py = x0, y0
    for x1, y1 in rest:
        mid = (py + y1) / 2
        d.append(f"C{px:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{y1:.1f}")
        px, py = x1, y1
    return " ".join(d)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def _label_at(points: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    if len(points) > 2:
        return points[len(points) // 2]
    (x0, y0), (x1, y1) = points[0], points[-1]
    return (x0 + x1) / 2, (y0 + y1) / 2


def svg(drawn: Layout, lit: Lit = Lit(), *, title: str = "State machine") -> str:
    """The layout as an inline SVG; every name is escaped, classes say each state's and edge's status."""
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='state-machine' role='img' aria-label='{escape(title)}' "
        f"viewBox='0 0 {drawn.width:.0f} {drawn.height:.0f}' width='{drawn.width:.0f}' height='{drawn.height:.0f}'>",
        "<defs>"
        "<marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='9' markerHeight='9' "
        "markerUnits='userSpaceOnUse' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' class='arrow'/></marker>"
        "<marker id='arrow-taken' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='9' markerHeight='9' "
        "markerUnits='userSpaceOnUse' orient='auto-start-reverse'>"
        "<path d='M0,0 L10,5 L0,10 z' class='arrow taken'/></marker>"
        "</defs>",
    ]
    for route in sorted(drawn.routes, key=lambda r: (r.edge.source, r.edge.target) in lit.taken):
        edge = route.edge
        taken = (edge.source, edge.target) in lit.taken
        classes = f"edge {edge.kind}{' back' if route.back else ''}{' taken' if taken else ''}"
        marker = "arrow-taken" if taken else "arrow"
        when = f" ({edge.label})" if edge.label else ""
        parts.append(
            f"<g class='{classes}' data-from='{escape(edge.source)}' data-to='{escape(edge.target)}' "
            f"data-kind='{edge.kind}'><title>{escape(edge.source)} → {escape(edge.target)}: {edge.kind}"
            f"{escape(when)}</title><path d='{_path(route.points)}' marker-end='url(#{marker})'/>"
        )
        if edge.label and edge.kind != "default":
            lx, ly = _label_at(route.points)
            parts.append(f"<text class='edge-label' x='{lx + 4:.1f}' y='{ly - 3:.1f}'>{escape(edge.label)}</text>")
        parts.append("</g>")
    for state in drawn.states.values():
        status = _status(state.name, state.type, lit)
        shape = state.type.lower()
        left, top = state.x - NODE_WIDTH / 2, state.y
        radius = NODE_HEIGHT / 2 if state.type in ("Succeed", "Fail", "Choice") else 6
        start = " start" if state.name == drawn.start else ""
        parts.append(
            f"<g class='state {shape} {status}{start}' id='state-{_slug(state.name)}' "
            f"data-state='{escape(state.name)}' data-type='{escape(state.type)}' data-status='{status}'>"
            f"<title>{escape(state.name)} ({escape(state.type)}): {status}</title>"
            f"<rect x='{left:.1f}' y='{top:.1f}' width='{NODE_WIDTH}' height='{NODE_HEIGHT}' rx='{radius:.0f}'/>"
            f"<text x='{state.x:.1f}' y='{top + NODE_HEIGHT / 2 + 4:.1f}'>{escape(state.name)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


# The picture's look, for the page that embeds it (kept beside the classes `svg` writes).
SVG_STYLE = """
svg.state-machine{max-width:100%;height:auto;font:12px -apple-system,Segoe UI,Helvetica,Arial,sans-serif}
.state rect{fill:#fff;stroke:#9aa5b1;stroke-width:1.2}
.state text{text-anchor:middle;fill:#1f2933}
.state.choice rect{fill:#f5f7fa;stroke-dasharray:4 2}
.state.visited rect{fill:#e3f4ea;stroke:#0b7a3e}
.state.failed rect{fill:#fde8e7;stroke:#b42318}
.state.current rect{fill:#0b7a3e;stroke:#064d27;stroke-width:3}
.state.current text{fill:#fff;font-weight:700}
.state.current.running rect{fill:#2457c5;stroke:#163a86}
.state.current.failed rect{fill:#b42318;stroke:#7a150f}
.edge path{fill:none;stroke:#b6c2d2;stroke-width:1.3}
.edge.catch path{stroke-dasharray:5 3}
.edge.taken path{stroke:#0b7a3e;stroke-width:2.6}
.arrow{fill:#b6c2d2} .arrow.taken{fill:#0b7a3e}
.edge-label{fill:#616e7c;font-size:10px}
"""
