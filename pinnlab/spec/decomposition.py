"""Domain decomposition for multi-domain PINNs (XPINN, cPINN): subdomains and their interfaces.

A decomposition cuts the problem's box along **split lines** (``"t = 0.5"``, ``"x = -0.1"``) into
a grid of boxes, one network each, or isolates a **strip** (``"|x| < 0.1"``,
``"|y - 0.5| < 0.2"``) from the rest of the domain (two networks: the strip, and the union of
the boxes on either side). Each subdomain is a union of axis-aligned boxes; its network scales
its inputs to the subdomain's bounding box. An **interface** is a face shared by two boxes of
different subdomains: the coordinate normal to it, its position and the ranges of the other
coordinates.

In TOML::

    [decomposition]
    split = ["t = 0.5"]                  # or: strip = "|x| < 0.1"
    interface_conditions = "xpinn"       # preset, list of term names, or a 9-character bit string
    flux = { x = "u**2/2 - nu*u_x" }     # conservative flux per normal coordinate (optional)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import SpecError

Box = dict[str, tuple[float, float]]

#: The nine candidate interface terms (METALIC's order). ``x`` is the first coordinate, ``y`` the
#: second (``t`` in a 1-D evolution problem); all are mean squares over the interface points.
INTERFACE_TERMS = (
    "solution_continuity",   # u₁ − u₂
    "average_solution",      # u₁ − ū and u₂ − ū, ū = (u₁ + u₂)/2
    "interface_residual",    # r₁ and r₂ (each network's PDE residual on the interface)
    "residual_continuity",   # r₁ − r₂
    "flux_continuity",       # F₁·n − F₂·n, F from the conservative form (see ``flux``)
    "d2y_continuity",        # ∂²u₁/∂y² − ∂²u₂/∂y²
    "gradient_residual",     # ∂r_i/∂x and ∂r_i/∂y for both networks (gPINN)
    "dx_continuity",         # ∂u₁/∂x − ∂u₂/∂x
    "d2x_continuity",        # ∂²u₁/∂x² − ∂²u₂/∂x²
)
PRESETS = {
    "xpinn": ("average_solution", "residual_continuity"),
    "cpinn": ("average_solution", "flux_continuity"),
    "all": INTERFACE_TERMS,
    "none": (),
}


def parse_interface_conditions(spec, *, source: str = "<python>",
                               key: str = "decomposition.interface_conditions"
                               ) -> tuple[int, ...]:
    """The 9-bit mask (a tuple of 0/1 in :data:`INTERFACE_TERMS` order) of ``spec``: a preset
    name (``xpinn``, ``cpinn``, ``all``, ``none``), a list of term names, a 9-character bit
    string such as ``"010100000"``, or a sequence of nine 0/1."""
    if isinstance(spec, str) and spec in PRESETS:
        names = PRESETS[spec]
        return tuple(int(n in names) for n in INTERFACE_TERMS)
    if isinstance(spec, str) and re.fullmatch(r"[01]{9}", spec):
        return tuple(int(ch) for ch in spec)
    if isinstance(spec, str):
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    items = list(spec) if isinstance(spec, (list, tuple)) else None
    if items is not None and len(items) == 9 and all(v in (0, 1, True, False) for v in items):
        return tuple(int(v) for v in items)
    if items is None or not all(isinstance(v, str) for v in items):
        raise SpecError(f"interface conditions are a preset ({', '.join(PRESETS)}), a list of "
                        f"term names or a 9-bit string; got {spec!r}", file=source, key=key)
    bad = [v for v in items if v not in INTERFACE_TERMS]
    if bad:
        raise SpecError(f"unknown interface term {bad[0]!r} (terms: "
                        f"{', '.join(INTERFACE_TERMS)})", file=source, key=key)
    return tuple(int(n in items) for n in INTERFACE_TERMS)


def mask_string(mask) -> str:
    """``(0, 1, 0, 1, 0, 0, 0, 0, 0) -> "010100000"``."""
    return "".join(str(int(b)) for b in mask)


@dataclass
class Interface:
    """The face ``{normal = position}`` between subdomains ``a`` and ``b`` (``a`` on the low
    side); ``extent`` gives the ranges of every coordinate (the normal one collapsed)."""

    a: int
    b: int
    normal: str
    position: float
    extent: Box

    @property
    def name(self) -> str:
        return f"{self.a}|{self.b}@{self.normal}={self.position:g}"


@dataclass
class Decomposition:
    """Split lines or a strip, the interface conditions and the conservative fluxes.

    Args:
        split: lines ``"c = value"``; several per coordinate allowed.
        strip: ``"|c| < w"`` or ``"|c - c0| < w"``: the strip and the rest (2 subdomains).
        interface_conditions: default interface terms (see
            :func:`pinnlab.methods.interfaces.parse_interface_conditions`).
        flux: ``{coordinate: expression}``, the flux ``F_c`` of the conservative form
            ``Σ_c ∂_c F_c = s`` used by ``flux_continuity`` across interfaces normal to ``c``.
    """

    split: list[str] = field(default_factory=list)
    strip: str | None = None
    interface_conditions: object = "xpinn"
    flux: dict[str, str] = field(default_factory=dict)

    def geometry(self, domain: Box, *, source: str = "<python>"
                 ) -> tuple[list[list[Box]], list[Interface]]:
        """``(subdomains, interfaces)``: each subdomain is a list of boxes."""
        if self.split and self.strip:
            raise SpecError("give either 'split' or 'strip', not both", file=source,
                            key="decomposition")
        if not self.split and not self.strip:
            raise SpecError("give split lines (e.g. split = [\"t = 0.5\"]) or a strip "
                            "(e.g. strip = \"|x| < 0.1\")", file=source, key="decomposition")
        cuts = {c: [lo, hi] for c, (lo, hi) in domain.items()}
        if self.split:
            for text in self.split:
                c, v = _line(text, domain, source)
                cuts[c].append(v)
            for c in cuts:
                cuts[c] = sorted(set(cuts[c]))
            boxes = _grid(cuts)
            subdomains = [[b] for b in boxes]
        else:
            c, centre, half = _strip(self.strip, domain, source)
            lo, hi = domain[c]
            a, b = max(lo, centre - half), min(hi, centre + half)
            if a <= lo and b >= hi:
                raise SpecError(f"the strip {self.strip!r} covers the whole domain: the rest is "
                                "empty", file=source, key="decomposition.strip")
            cuts[c] = sorted({lo, a, b, hi})
            boxes = _grid(cuts)
            inside = [bx for bx in boxes if bx[c] == (a, b)]
            outside = [bx for bx in boxes if bx[c] != (a, b)]
            subdomains = [outside, inside]
        for i, sub in enumerate(subdomains):
            if not sub or any(hi - lo <= 1e-12 * (1 + abs(hi)) for b in sub
                              for lo, hi in b.values()):
                raise SpecError(f"subdomain {i} is empty (two split lines coincide)",
                                file=source, key="decomposition")
        return subdomains, _interfaces(subdomains)


def bounding_box(boxes: list[Box]) -> Box:
    """The smallest box containing ``boxes``."""
    return {c: (min(b[c][0] for b in boxes), max(b[c][1] for b in boxes)) for c in boxes[0]}


def _number(text: str, source: str, key: str) -> float:
    from ..expr import Namespace, compile_expression

    return compile_expression(text, Namespace([], []), file=source, key=key).constant()


def _line(text: str, domain: Box, source: str) -> tuple[str, float]:
    key = "decomposition.split"
    m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*=\s*(.+?)\s*", str(text))
    if not m:
        raise SpecError(f"a split line looks like 't = 0.5', got {text!r}", file=source, key=key)
    c = m.group(1)
    if c not in domain:
        raise SpecError(f"split line {text!r}: unknown coordinate {c!r} (coordinates: "
                        f"{', '.join(domain)})", file=source, key=key)
    v = _number(m.group(2), source, key)
    lo, hi = domain[c]
    if not lo < v < hi:
        raise SpecError(f"split line {text!r} lies outside the open range ({lo:g}, {hi:g}) of "
                        f"{c}", file=source, key=key)
    return c, v


def _strip(text: str, domain: Box, source: str) -> tuple[str, float, float]:
    key = "decomposition.strip"
    m = re.fullmatch(r"\s*\|\s*([A-Za-z_]\w*)\s*(?:([+-])\s*([^|]+?))?\s*\|\s*<\s*(.+?)\s*",
                     str(text))
    if not m:
        raise SpecError(f"a strip looks like '|x| < 0.1' or '|y - 0.5| < 0.2', got {text!r}",
                        file=source, key=key)
    c = m.group(1)
    if c not in domain:
        raise SpecError(f"strip {text!r}: unknown coordinate {c!r}", file=source, key=key)
    centre = 0.0
    if m.group(2):
        centre = _number(m.group(3), source, key) * (-1.0 if m.group(2) == "+" else 1.0)
    half = _number(m.group(4), source, key)
    lo, hi = domain[c]
    if half <= 0 or centre + half <= lo or centre - half >= hi:
        raise SpecError(f"strip {text!r} does not intersect the range [{lo:g}, {hi:g}] of {c}",
                        file=source, key=key)
    return c, centre, half


def _grid(cuts: dict[str, list[float]]) -> list[Box]:
    boxes: list[Box] = [{}]
    for c, pts in cuts.items():
        boxes = [{**b, c: (lo, hi)} for b in boxes for lo, hi in zip(pts[:-1], pts[1:])]
    return boxes


def _interfaces(subdomains: list[list[Box]]) -> list[Interface]:
    out = []
    owner = [(i, b) for i, sub in enumerate(subdomains) for b in sub]
    for i, bi in owner:
        for j, bj in owner:
            if i == j:
                continue
            for c in bi:
                if bi[c][1] != bj[c][0]:
                    continue
                extent = {}
                for d in bi:
                    if d == c:
                        extent[d] = (bi[c][1], bi[c][1])
                        continue
                    lo, hi = max(bi[d][0], bj[d][0]), min(bi[d][1], bj[d][1])
                    if hi <= lo:
                        break
                    extent[d] = (lo, hi)
                else:
                    out.append(Interface(i, j, c, bi[c][1], extent))
    return out
