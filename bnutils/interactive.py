"""Interactive figures that work in a live kernel *and* on the static website.

One call, two renderings::

    def draw(fig, gamma, beta):
        ax = fig.subplots()
        ...                                   # plot into fig for these values

    interactive_figure(draw, gamma=Slider([0.5, 1, 2, 4]), beta=Slider([-2, 0, 2]),
                       caption="What gamma and beta do to the batch")   # last line of the cell

* **live** (Jupyter, Binder, Colab): ipywidgets controls and an image widget; moving a control redraws it.
* **static** (the website build sets ``BNUTILS_STATIC=1``, or ``mode="static"``): every combination of
  control values is drawn at build time and embedded as PNG frames in one self-contained HTML block
  with plain ``<input type="range">`` / ``<select>`` controls and a few lines of inline JavaScript.
  No kernel, no widget manager, no CDN: moving a control swaps the image.

A control is a :class:`Slider` (ordered values), a :class:`Choice` (named options), or a plain
list (numbers -> slider, anything else -> choice). Keep the number of combinations small (each is a
frame in the page): ``max_frames`` guards it.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json

from ._runtime import live_kernel, notebook_frontend

__all__ = ["Slider", "Choice", "interactive_figure", "InteractiveFigure"]


def _fmt_default(v):
    """A value as given: 0.9999 stays 0.9999, 1.0 reads 1, 1e-05 reads 1e-05 (no rounding to 3 digits)."""
    if isinstance(v, float):
        return f"{v:.12g}"
    return str(v)


class Slider:
    """An ordered set of values, shown as a slider.

    Args:
        values: the values the slider steps through (numbers, in order).
        value: the initial value (default: the middle one).
        label: text beside the slider (default: the keyword name).
        fmt: how a value is printed, a format string like ``"{:.2f}"`` or a function.
    """

    kind = "slider"

    def __init__(self, values, value=None, label=None, fmt=None):
        self.values = list(values)
        if not self.values:
            raise ValueError("a Slider needs at least one value")
        if value is None:
            value = self.values[(len(self.values) - 1) // 2]
        if value not in self.values:
            raise ValueError(f"initial value {value!r} is not one of {self.values!r}")
        self.index = self.values.index(value)
        self.label = label
        if fmt is None:
            fmt = _fmt_default
        elif isinstance(fmt, str):
            fmt = fmt.format
        self.fmt = fmt
        self.names = [self.fmt(v) for v in self.values]


class Choice(Slider):
    """Named options, shown as a drop-down list.

    Args:
        options: a list of values (shown with ``str``) or a dict ``{label: value}``.
        value: the initial value (default: the first).
        label: text beside the control.
    """

    kind = "choice"

    def __init__(self, options, value=None, label=None):
        if isinstance(options, dict):
            names, values = list(options), list(options.values())
        else:
            values = list(options)
            names = [str(v) for v in values]
        if value is None and values:
            value = values[0]
        super().__init__(values, value=value, label=label)
        self.names = names


def _as_control(name, spec):
    if isinstance(spec, Slider):
        c = spec
    elif isinstance(spec, (list, tuple)) or hasattr(spec, "tolist"):
        vals = list(spec.tolist() if hasattr(spec, "tolist") else spec)
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
        c = Slider(vals) if numeric else Choice(vals)
    else:
        raise TypeError(f"control {name!r} must be a Slider, a Choice or a list of values, got {type(spec).__name__}")
    if c.label is None:
        c.label = name
    return c


# Static frames carry this many device pixels per CSS pixel (2: sharp on "retina" and phone screens).
STATIC_DENSITY = 2


class InteractiveFigure:
    """The object :func:`interactive_figure` returns; displaying it renders the figure.

    ``mode`` is "live" or "static". ``frames()`` draws every combination (static); ``to_html()``
    gives the self-contained HTML; ``widget()`` builds the ipywidgets version.
    """

    def __init__(self, draw, controls, figsize=(6.4, 3.6), dpi=80, caption=None, mode=None,
                 max_frames=150, colors=128):
        self.draw = draw
        self.controls = {k: _as_control(k, v) for k, v in controls.items()}
        if not self.controls:
            raise ValueError("interactive_figure needs at least one control")
        self.n_frames = 1
        for c in self.controls.values():
            self.n_frames *= len(c.values)
        if self.n_frames > max_frames:
            sizes = " x ".join(f"{k}: {len(c.values)}" for k, c in self.controls.items())
            raise ValueError(f"{self.n_frames} combinations ({sizes}) exceed max_frames={max_frames}; "
                             "use fewer values per control (every combination is one image on the website)")
        if mode is None:
            mode = "live" if live_kernel() else "static"
        if mode not in ("live", "static"):
            raise ValueError(f"mode must be 'live' or 'static', got {mode!r}")
        self.mode, self.figsize, self.dpi, self.caption, self.colors = mode, figsize, dpi, caption, colors
        self._html = None
        self._live_cache = {}   # live mode: PNG per combination of control indices, drawn once

    def __repr__(self):
        names = ", ".join(self.controls)
        return (f"<InteractiveFigure: {self.n_frames} frames, controls {names}. Make it the last line of a "
                "Jupyter/Colab cell to get sliders, or call .save('figure.html') and open that file in a browser>")

    # ---- drawing
    def _values(self, indices):
        return {k: c.values[i] for (k, c), i in zip(self.controls.items(), indices)}

    def render(self, _shrink=True, _density=1, **values):
        """Draw one frame for the given control values; returns PNG bytes.

        The frame is ``figsize * dpi`` CSS pixels wide; ``_density`` (the website uses
        :data:`STATIC_DENSITY`) multiplies its pixel count so that it stays sharp on high-density screens.
        """
        import matplotlib

        from matplotlib.figure import Figure

        fig = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        with matplotlib.rc_context({"font.size": 9}):
            self.draw(fig, **values)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=self.dpi * _density)
        return self._shrink(buf.getvalue()) if _shrink else buf.getvalue()

    def _shrink(self, png):
        """Quantize to a palette of ``colors`` colours: about a third of the bytes, same look."""
        if not self.colors:
            return png
        from PIL import Image

        img = Image.open(io.BytesIO(png)).convert("RGB")
        img = img.quantize(colors=self.colors, method=Image.Quantize.FASTOCTREE)
        out = io.BytesIO()
        img.save(out, format="PNG", optimize=True)
        return out.getvalue() if len(out.getvalue()) < len(png) else png

    def frames(self):
        """PNG bytes for every combination of control values, in row-major order of the controls."""
        ranges = [range(len(c.values)) for c in self.controls.values()]
        return [self.render(_density=STATIC_DENSITY, **self._values(idx)) for idx in itertools.product(*ranges)]

    # ---- static HTML
    def _alt(self, values_text):
        base = self.caption or "Interactive figure"
        return f"{base} ({values_text})"

    def to_html(self):
        """Self-contained HTML: controls, the current frame, all frames and the script that swaps them."""
        if self._html is not None:
            return self._html
        uris = ["data:image/png;base64," + base64.b64encode(f).decode("ascii") for f in self.frames()]
        uid = "bnu-" + hashlib.sha1("".join(uris).encode()).hexdigest()[:10]
        ctrls = list(self.controls.items())
        init = [c.index for _, c in ctrls]
        flat = 0
        for (_, c), i in zip(ctrls, init):
            flat = flat * len(c.values) + i
        parts = [f'<div class="bnu-interactive" id="{uid}" data-frames="{len(uris)}">',
                 '<div class="bnu-controls">']
        for k, c in ctrls:
            lab = html.escape(str(c.label))
            if c.kind == "slider":
                parts.append(
                    f'<label class="bnu-control">{lab} <input type="range" min="0" max="{len(c.values) - 1}" '
                    f'step="1" value="{c.index}" data-control="{html.escape(k)}" aria-label="{lab}"> '
                    f'<output>{html.escape(c.names[c.index])}</output></label>')
            else:
                opts = "".join(f'<option value="{i}"{" selected" if i == c.index else ""}>{html.escape(n)}</option>'
                               for i, n in enumerate(c.names))
                parts.append(f'<label class="bnu-control">{lab} <select data-control="{html.escape(k)}" '
                             f'aria-label="{lab}">{opts}</select></label>')
        parts.append("</div>")
        values_text = ", ".join(f"{c.label} = {c.names[c.index]}" for _, c in ctrls)
        cap = f'<figcaption>{html.escape(self.caption)}</figcaption>' if self.caption else ""
        parts.append(f'<figure class="bnu-figure"><img src="{uris[flat]}" alt="{html.escape(self._alt(values_text))}" '
                     f'width="{round(self.figsize[0] * self.dpi)}" style="max-width:100%;height:auto">{cap}</figure>')
        meta = {"names": [c.names for _, c in ctrls], "labels": [str(c.label) for _, c in ctrls],
                "alt": self.caption or "Interactive figure"}
        parts.append(f'<script type="application/json" class="bnu-frames">{json.dumps(uris)}</script>')
        parts.append(f'<script type="application/json" class="bnu-meta">{html.escape(json.dumps(meta), quote=False)}</script>')
        parts.append("<script>" + _JS.replace("__UID__", uid) + "</script></div>")
        self._html = "".join(parts)
        return self._html

    def _repr_html_(self):
        return self.to_html()

    def save(self, path="figure.html"):
        """Write the static figure (every frame, the controls, no kernel needed) as an HTML page.

        Returns the absolute path written; open it in any browser.
        """
        import pathlib

        p = pathlib.Path(path).expanduser().resolve()
        if p.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"save(path={str(path)!r}): expected a file name ending in .html")
        title = html.escape(self.caption or "Interactive figure")
        p.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
                     f"<body>{self.to_html()}</body></html>", encoding="utf-8")
        return p

    # ---- live widgets
    def widget(self):
        """An ipywidgets VBox: one control per keyword and an Image widget redrawn on every change."""
        import ipywidgets as widgets

        ws = {}
        for k, c in self.controls.items():
            opts = list(zip(c.names, c.values))
            if c.kind == "slider":
                ws[k] = widgets.SelectionSlider(options=opts, value=c.values[c.index], description=str(c.label),
                                                continuous_update=False, style={"description_width": "initial"},
                                                layout=widgets.Layout(width="auto", min_width="16em"))
            else:
                ws[k] = widgets.Dropdown(options=opts, value=c.values[c.index], description=str(c.label),
                                         style={"description_width": "initial"},
                                         layout=widgets.Layout(width="auto"))
        image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))

        ctrls = list(self.controls.items())

        def frame(key):
            if key not in self._live_cache:
                self._live_cache[key] = self.render(_shrink=False, **self._values(key))
            return self._live_cache[key]

        def redraw(change=None):
            # Frames are cached per combination: a value seen once comes back at once. No palette
            # quantization live (it costs more time than the bytes it saves inside a kernel).
            key = tuple(c.values.index(ws[k].value) for k, c in ctrls)
            image.value = frame(key)
            if change is not None:        # a reader moved a control (never during Run All or nbval)
                moved = next((j for j, (k, _) in enumerate(ctrls) if ws[k] is change["owner"]), 0)
                c = self.controls[ctrls[moved][0]]
                old = c.values.index(change["old"]) if change["old"] in c.values else key[moved]
                self._prefetch(key, frame, moved, 1 if key[moved] >= old else -1)

        for w in ws.values():
            w.observe(redraw, names="value")
        redraw()
        children = [widgets.HBox(list(ws.values()), layout=widgets.Layout(flex_flow="row wrap")), image]
        if self.caption:
            children.append(widgets.HTML(f"<em>{html.escape(self.caption)}</em>"))
        return widgets.VBox(children)

    def _prefetch(self, key, frame, moved, direction):
        """Draw the next frames of the control that moved (one step on, then one step back) while the
        kernel waits for the reader, one frame per event-loop turn, so that the next step shows at once."""
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:               # no event loop (plain Python): nothing to wait for
            return
        n = len(list(self.controls.values())[moved].values)
        todo = []
        for d in (direction, -direction):
            i = key[moved] + d
            nk = key[:moved] + (i,) + key[moved + 1:]
            if 0 <= i < n and nk not in self._live_cache:
                todo.append(nk)
        for i, nk in enumerate(todo):
            loop.call_later(0.05 * (i + 1), frame, nk)

    def _ipython_display_(self):
        from IPython.display import HTML, display

        if self.mode == "live":
            display(self.widget())
        elif notebook_frontend():
            display(HTML(self.to_html()))
        else:   # an IPython terminal: HTML cannot show here, so write it to a file and say where
            print(f"{self.caption or 'Interactive figure'}: no notebook here to show sliders; "
                  f"saved as {self.save(self._default_file())} (open it in a browser)")

    def _default_file(self):
        return "bnu-figure-" + hashlib.sha1(repr(sorted(self.controls)).encode()).hexdigest()[:8] + ".html"


def interactive_figure(draw, *, figsize=(6.4, 3.6), dpi=80, caption=None, mode=None, max_frames=150,
                       colors=128, **controls):
    """Tie controls to a figure: live ipywidgets in a kernel, precomputed frames on the website.

    Args:
        draw: ``draw(fig, **values)`` draws into a fresh ``matplotlib.figure.Figure`` for one
            combination of control values (create axes with ``fig.subplots()``).
        **controls: keyword -> :class:`Slider`, :class:`Choice` or a list of values.
        figsize, dpi: size of every frame.
        caption: shown under the figure and used as its alt text.
        mode: "live" or "static" (default: static when ``BNUTILS_STATIC`` is set or no kernel runs).
        max_frames: upper bound on the number of combinations.
        colors: palette size for the PNG frames (0 keeps full colour).

    Returns:
        An :class:`InteractiveFigure`; make it the last expression of the cell so that it displays.
    """
    return InteractiveFigure(draw, controls, figsize=figsize, dpi=dpi, caption=caption, mode=mode,
                             max_frames=max_frames, colors=colors)


_JS = r"""
(function () {
  var root = document.getElementById("__UID__");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var frames = JSON.parse(root.querySelector("script.bnu-frames").textContent);
  var meta = JSON.parse(root.querySelector("script.bnu-meta").textContent);
  var inputs = Array.prototype.slice.call(root.querySelectorAll("[data-control]"));
  var img = root.querySelector("img");
  function update() {
    var flat = 0, parts = [];
    inputs.forEach(function (el, k) {
      var i = parseInt(el.value, 10), n = meta.names[k].length;
      flat = flat * n + i;
      parts.push(meta.labels[k] + " = " + meta.names[k][i]);
      var out = el.parentNode.querySelector("output");
      if (out) out.textContent = meta.names[k][i];
    });
    img.src = frames[flat];
    img.alt = meta.alt + " (" + parts.join(", ") + ")";
  }
  inputs.forEach(function (el) {
    el.addEventListener("input", update);
    el.addEventListener("change", update);
  });
})();
"""
