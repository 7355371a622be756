"""``glue`` for the chapters: myst-nb's when it is installed (the website build), otherwise a
stand-in that only displays the value (Binder, Colab, a plain Jupyter), so every notebook runs
everywhere with the same first lines. Used by every chapter for the numbers quoted in the prose."""
from __future__ import annotations

__all__ = ["glue"]


def glue(name, variable, display=True):
    """Store ``variable`` under ``name`` for ``{glue:text}`name``` in the book's Markdown.

    Args:
        name: the key the text refers to.
        variable: the value (a number, a string, a figure).
        display: also show the value in the cell output.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"glue needs a non-empty string name, got {name!r}")
    try:
        from myst_nb import glue as _glue
    except ImportError:
        if display:
            from IPython.display import display as _display

            _display(variable)
        return
    _glue(name, variable, display=display)
