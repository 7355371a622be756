"""Where the code runs: a static website build, or a live kernel that can show widgets.

One place for the question, asked by the interactive figures and by the training progress bar.
Internal: the chapters never import it.
"""
from __future__ import annotations

import os

__all__ = ["static_build", "live_kernel", "in_colab", "notebook_frontend"]

# Shell classes of kernels that display ipywidgets: Jupyter/JupyterLab/Binder ("ZMQInteractiveShell")
# and Google Colab ("Shell", from google.colab._shell).
_WIDGET_SHELLS = ("ZMQInteractiveShell", "Shell")


def static_build():
    """True when the website build asked for static output (``BNUTILS_STATIC`` set and not "0")."""
    return os.environ.get("BNUTILS_STATIC", "") not in ("", "0")


def in_colab():
    """True inside Google Colab."""
    import sys

    return "google.colab" in sys.modules


def live_kernel():
    """True in a Jupyter or Colab kernel that can display ipywidgets, and not in a static build."""
    if static_build():
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and type(ip).__name__ in _WIDGET_SHELLS


def notebook_frontend():
    """True when displayed HTML reaches a notebook: a kernel (not a terminal IPython), or the website
    build's executor."""
    if static_build():
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and type(ip).__name__ != "TerminalInteractiveShell"
