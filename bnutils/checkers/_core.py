"""The machinery behind the exercise checkers: run a learner's function on test cases, compare with a
reference, and when it disagrees, say how, and whether the output matches a known mistake."""
from __future__ import annotations

import copy
import html
import warnings

import numpy as np

__all__ = ["CheckResult", "check_function"]


class CheckResult:
    """The outcome of a check: ``passed`` (also ``bool(result)``), and ``lines``, the report.

    Displays itself as the report; use ``assert result`` (or ``assert result.passed``) in a notebook.
    """

    def __init__(self, name, passed, lines, max_error=0.0):
        self.name, self.passed, self.lines, self.max_error = name, passed, lines, max_error

    def __bool__(self):
        return self.passed

    def report(self):
        mark = "PASS" if self.passed else "FAIL"
        return "\n".join([f"[{mark}] {self.name}"] + [f"  - {line}" for line in self.lines])

    def __repr__(self):
        return self.report()

    def _repr_html_(self):
        color = "#1a7f37" if self.passed else "#cf222e"
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
        mark = "✔ passed" if self.passed else "✘ not yet"
        return (f'<div class="bnu-check"><strong style="color:{color}">{mark}: {html.escape(self.name)}</strong>'
                f"<ul>{items}</ul></div>")


def _as_tuple(out, n_outputs=1):
    """The outputs of a function as a tuple. A single-output function's list is one output (an array
    written as a list), not several."""
    if isinstance(out, tuple) or (isinstance(out, list) and n_outputs > 1):
        return tuple(out)
    return (out,)


def _as_array(a):
    """``a`` as a numeric array, or None if it is not one (None, a string, a ragged list, ...)."""
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError):
        return None
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return None
    return arr


def _describe(args):
    """A short description of the arguments of one case: shapes for arrays, reprs for numbers."""
    parts = []
    for a in args:
        if isinstance(a, np.ndarray):
            parts.append(f"array{a.shape} {a.dtype}")
        elif isinstance(a, (int, float, str, bool, np.number)) or a is None:
            parts.append(repr(a))
        else:
            parts.append(type(a).__name__)
    return "(" + ", ".join(parts) + ")"


def _compare(got, want, rtol, atol):
    """None if equal within tolerance, else a message; also the max abs error (or inf)."""
    want = np.asarray(want)
    arr = _as_array(got)
    if arr is None:
        what = "None" if got is None else f"a {type(got).__name__}"
        return f"got {what}, expected an array of shape {want.shape}", np.inf
    got = arr
    if got.shape != want.shape:
        return f"shape {got.shape}, expected {want.shape}", np.inf
    if not np.all(np.isfinite(got)):
        return "contains nan or inf", np.inf
    err = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) if got.size else 0.0
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        return f"max abs error {err:.2e} (tolerance {atol:g} + {rtol:g} x |expected|)", err
    return None, err


def check_function(fn, reference, cases, name, outputs=("output",), diagnoses=None, rtol=1e-5, atol=1e-6,
                   n_outputs=None):
    """Compare ``fn(*case)`` with ``reference(*case)`` on every case.

    Args:
        fn: the learner's function.
        reference: the correct function, returning the same outputs.
        cases: a list of argument tuples (arrays are copied before each call).
        name: what is checked, for the report.
        outputs: names of the outputs, in order (for the report).
        diagnoses: ``[(explanation, wrong_fn), ...]``: known mistakes; if the learner's output matches
            ``wrong_fn``'s, the report says which mistake it looks like.
        n_outputs: how many leading outputs of ``fn`` to compare (default: ``len(outputs)``).

    Returns:
        A :class:`CheckResult`.
    """
    # One loop over the cases (run, check for in-place changes, compare, diagnose), kept in one piece so
    # that the report's lines come out in the order a learner reads them.
    n_outputs = n_outputs or len(outputs)
    lines, passed, max_err = [], True, 0.0
    for k, args in enumerate(cases, 1):
        where = f"case {k} {_describe(args)}"
        inputs = copy.deepcopy(args)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")   # a stub's RuntimeWarnings would clutter the page
                got = _as_tuple(fn(*inputs), n_outputs)
        except Exception as e:  # the learner's code may raise anything: report it
            lines.append(f"{where}: raised {type(e).__name__}: {e}")
            passed = False
            continue
        for a, b in zip(inputs, args):
            if isinstance(b, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
                lines.append(f"{where}: your function changed its input arrays in place; it should not")
                passed = False
        want = _as_tuple(reference(*copy.deepcopy(args)), n_outputs)
        if len(got) < n_outputs:
            lines.append(f"{where}: returned {len(got)} value(s), expected {n_outputs} ({', '.join(outputs)})")
            passed = False
            continue
        case_ok = True
        for oname, g, w in zip(outputs, got[:n_outputs], want[:n_outputs]):
            msg, err = _compare(g, w, rtol, atol)
            max_err = max(max_err, err)
            if msg:
                case_ok = False
                lines.append(f"{where}: {oname}: {msg}")
        if not case_ok:
            passed = False
            for explanation, wrong in diagnoses or []:
                try:
                    with np.errstate(all="ignore"):
                        w2 = _as_tuple(wrong(*copy.deepcopy(args)), n_outputs)
                except Exception:
                    continue
                if all(_compare(g, w, rtol, atol)[0] is None for g, w in zip(got[:n_outputs], w2[:n_outputs])):
                    lines.append(f"  it matches a known mistake: {explanation}")
                    break
    if passed:
        lines.append(f"all {len(cases)} cases agree with the reference (max abs error {max_err:.1e})")
    return CheckResult(name, passed, lines, max_err)
