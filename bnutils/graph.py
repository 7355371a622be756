"""The computational graph of the batch-norm forward pass, drawn with matplotlib (no graphviz).

The nodes are named as in :func:`bnutils.bn.batchnorm_backward_staged`::

    mu = mean(x) (1), xc = x - mu (2), var = mean(xc**2) (3), std = sqrt(var + eps) (4),
    istd = 1/std (5), xhat = xc * istd (6), y = gamma * xhat + beta (7)

Taught in chapter 3. matplotlib is imported only when a graph is drawn.
"""
from __future__ import annotations

__all__ = ["BN_GRAPH_NODES", "BN_GRAPH_EDGES", "draw_bn_graph"]

# name -> (x, y, width, label, kind); kind "input" (data and parameters), "op" (computed node), "output"
BN_GRAPH_NODES = {
    "x": (0.0, 1.0, 1.15, r"$x$ (m, D)", "input"),
    "mu": (2.0, 2.4, 1.9, r"(1) $\mu = \mathrm{mean}(x)$", "op"),
    "xc": (3.6, 1.0, 1.6, r"(2) $x_c = x - \mu$", "op"),
    "var": (5.4, 2.4, 2.2, r"(3) $\sigma^2 = \mathrm{mean}(x_c^2)$", "op"),
    "std": (8.0, 2.4, 2.1, r"(4) $s = \sqrt{\sigma^2 + \epsilon}$", "op"),
    "istd": (10.4, 2.4, 1.3, r"(5) $r = 1/s$", "op"),
    "xhat": (10.4, 1.0, 1.5, r"(6) $\hat x = x_c \, r$", "op"),
    "gamma": (10.4, -0.4, 1.0, r"$\gamma$ (D,)", "input"),
    "beta": (12.9, -0.4, 1.0, r"$\beta$ (D,)", "input"),
    "y": (12.9, 1.0, 2.0, r"(7) $y = \gamma \hat x + \beta$", "output"),
}
_H = 0.55  # box height in data units

BN_GRAPH_EDGES = [
    ("x", "mu"), ("x", "xc"), ("mu", "xc"), ("xc", "var"), ("var", "std"), ("std", "istd"),
    ("xc", "xhat"), ("istd", "xhat"), ("xhat", "y"), ("gamma", "y"), ("beta", "y"),
]

_COLORS = {"input": "#e8eef7", "op": "#fff4dc", "output": "#e3f3e3"}


def draw_bn_graph(ax, highlight=(), backward=False):
    """Draw the batch-norm forward graph into ``ax``.

    Args:
        ax: a matplotlib Axes (its axis lines are switched off).
        highlight: node names to draw with a thick red border (e.g. the node being differentiated).
        backward: if True, draw the arrows reversed and dashed (the direction gradients flow).

    Returns:
        The Axes. Unknown node names in ``highlight`` raise ValueError.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    unknown = set(highlight) - set(BN_GRAPH_NODES)
    if unknown:
        raise ValueError(f"highlight names unknown nodes {sorted(unknown)}; expected some of {list(BN_GRAPH_NODES)}")
    for name, (x, y, w, label, kind) in BN_GRAPH_NODES.items():
        hl = name in highlight
        ax.add_patch(FancyBboxPatch((x - w / 2, y - _H / 2), w, _H, boxstyle="round,pad=0.02,rounding_size=0.12",
                                    fc=_COLORS[kind], ec="#c0392b" if hl else "0.3", lw=2.2 if hl else 0.9, zorder=3))
        ax.text(x, y, label, ha="center", va="center", fontsize=9, zorder=4)
    for a, b in BN_GRAPH_EDGES:
        src, dst = (b, a) if backward else (a, b)
        p0, p1 = _edge(BN_GRAPH_NODES[src], BN_GRAPH_NODES[dst])
        ax.add_patch(FancyArrowPatch(p0, p1, arrowstyle="-|>", mutation_scale=13, lw=1.1, zorder=2,
                                     color="#c0392b" if backward else "0.25",
                                     linestyle="--" if backward else "-", shrinkA=0, shrinkB=0))
    ax.set_xlim(-0.7, 14.1)
    ax.set_ylim(-0.9, 2.9)
    ax.set_axis_off()
    return ax


def _edge(n0, n1, gap=0.06):
    """Segment between the borders of two boxes along the line joining their centres."""
    (x0, y0, w0), (x1, y1, w1) = n0[:3], n1[:3]
    dx, dy = x1 - x0, y1 - y0

    def t_exit(w):
        tx = (w / 2 + gap) / abs(dx) if dx else float("inf")
        ty = (_H / 2 + gap) / abs(dy) if dy else float("inf")
        return min(tx, ty)

    t0, t1 = t_exit(w0), 1.0 - t_exit(w1)
    return (x0 + t0 * dx, y0 + t0 * dy), (x0 + t1 * dx, y0 + t1 * dy)
