"""The chapters as Binder shows them: JupyterLab from the Binder-like venv (requirements.txt + JupyterLab,
built by `tools/binder_check.sh`), opened at lab/tree/notebooks/book/NN.ipynb as the launch button does,
Run All in headless Chromium. Asserts: no error output, no dialog, no raw MyST in the rendered Markdown,
solutions folded and not executed, no control label cut off, a slider move changes the figure;
reports the redraw delay (keydown to the new image src, first visits and all) and asserts its median.

    make lab-test      (BINDER_VENV=/tmp/binder-venv by default; built if missing)
"""
import json
import os
import pathlib
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import time
import urllib.request

import pytest

from conftest import ROOT  # the `browser` fixture (Debian's Chromium) comes from conftest.py

VENV = pathlib.Path(os.environ.get("BINDER_VENV", "/tmp/binder-venv"))
CHAPTERS = os.environ.get("LAB_CHAPTERS", "02_bn_transform,05_test_time").split(",")
MEDIAN_LIMIT_MS = float(os.environ.get("LAB_MEDIAN_LIMIT_MS", "200"))
RAW_MYST = re.compile(r"\{(glue|cite|ref|doc|numref|eq|exercise|solution|admonition|note|warning|tip)[\w:-]*\}"
                      r"|```\{|^:(class|label):|^\([\w:.-]+\)=\s*$", re.M)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    exe = VENV / "bin" / "jupyter-lab"
    if not exe.is_file():
        pytest.fail(f"no JupyterLab in {VENV}: run `tools/binder_check.sh --venv-only` (make lab-test does)")
    root = tmp_path_factory.mktemp("binder-root")            # a copy: autosave must not touch the repo
    shutil.copytree(ROOT / "notebooks" / "book", root / "notebooks" / "book")
    settings = root / ".lab-settings"
    for ext, body in {"notebook-extension/tracker": {"windowingMode": "none"},
                      "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}}.items():
        f = settings / "@jupyterlab" / (ext + ".jupyterlab-settings")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(body))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTER_CONFIG_DIR=str(root / ".jupyter"))
    env.pop("BNUTILS_STATIC", None)
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen([str(exe), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                             "--LabApp.expose_app_in_browser=True", "--allow-root"], stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if proc.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("JupyterLab did not start: " + (root / "lab.log").read_text()[-2000:])
    yield base, token
    proc.terminate()
    proc.wait(timeout=30)


MODEL_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.content.model || !w.sessionContext.session) return null;
  const cells = w.content.model.cells, out = {code: 0, done: 0, errors: [], kernel: w.sessionContext.session.kernel?.status};
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    out.code += 1;
    if (c.executionCount !== null) out.done += 1;
    for (const o of c.outputs.toJSON()) if (o.output_type === 'error') out.errors.push(o.ename + ': ' + o.evalue);
  }
  return out;
}"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_and_reads_right_in_jupyterlab(lab, browser, chapter):
    base, token = lab
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    # what the Binder button opens: urlpath=lab/tree/<path_to_book>/<pagename>.ipynb
    page.goto(f"{base}/lab/tree/notebooks/book/{chapter}.ipynb?token={token}&reset", wait_until="load")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'")
    assert page.locator(".jp-Dialog").count() == 0, "a dialog opened (kernel choice?)"
    t0 = time.perf_counter()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    state = None
    while time.perf_counter() - t0 < 240:
        state = page.evaluate(MODEL_STATE)
        if state and state["done"] == state["code"] and state["kernel"] == "idle":
            break
        time.sleep(1)
    run_s = time.perf_counter() - t0
    print(f"\n{chapter}: Run All {run_s:.1f} s in JupyterLab, {state['done']}/{state['code']} code cells")
    assert state["done"] == state["code"], f"Run All did not finish in 240 s: {state}"
    assert not state["errors"], f"error outputs: {state['errors']}"
    assert page.locator(".jp-Dialog").count() == 0, "a dialog opened"

    texts = page.eval_on_selector_all(".jp-MarkdownCell .jp-RenderedMarkdown", "els => els.map(e => e.innerText)")
    assert len(texts) > 10, "markdown cells were not rendered"
    raw = [m.group(0) for t in texts for m in RAW_MYST.finditer(t)]
    assert not raw, f"raw MyST in the rendered Markdown: {raw[:5]}"
    details = page.eval_on_selector_all(".jp-RenderedMarkdown details", "els => els.map(e => e.open)")
    assert details and not any(details), "solutions must be folded <details>"
    book_cells = json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text())["cells"]
    not_solution = [c for c in book_cells if c["cell_type"] == "code" and "solution" not in c["metadata"].get("tags", [])]
    assert state["code"] == len(not_solution), "Run All executed solution code (or lost a cell)"

    cut = page.eval_on_selector_all(".jupyter-widgets .widget-label, .jupyter-widgets .widget-readout",
                                    "els => els.filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1)"
                                    ".map(e => e.innerText)")
    assert not cut, f"control labels or readouts cut off: {cut}"

    # the slider: keyboard on the first slider handle, time from keydown to the new image
    handle = page.locator(".widget-slider .noUi-handle, .jupyter-widgets .noUi-handle").first
    handle.scroll_into_view_if_needed()
    page.evaluate("""() => {
      window.__bnu = {down: [], change: []};
      document.addEventListener('keydown', e => window.__bnu.down.push(performance.now()), true);
      const img = document.querySelector('.noUi-handle').closest('.jp-OutputArea-output').querySelector('img');
      new MutationObserver(() => window.__bnu.change.push(performance.now()))
        .observe(img, {attributes: true, attributeFilter: ['src']});
    }""")
    handle.focus()
    # a reader's pace: a step, a look (0.8 s), the next step; new values first, then back over seen ones
    delays, fresh, pos, seen, step = [], [], 0, {0}, 1
    for _ in range(12):
        n = page.evaluate("() => window.__bnu.change.length")
        page.keyboard.press("ArrowRight" if step > 0 else "ArrowLeft")
        try:
            page.wait_for_function(f"() => window.__bnu.change.length > {n}", timeout=5_000)
        except Exception:                                      # at the end of the slider: turn round
            step = -step
            continue
        pos += step
        d = page.evaluate("() => window.__bnu.change[window.__bnu.change.length - 1]"
                          " - window.__bnu.down[window.__bnu.down.length - 1]")
        delays.append(d)
        fresh.append(pos not in seen)
        seen.add(pos)
        time.sleep(0.8)
    assert len(delays) >= 4, f"the slider moved only {len(delays)} times"
    med = statistics.median(delays)
    new = [d for d, f in zip(delays, fresh) if f]
    print(f"{chapter}: slider key -> new figure, ms: {[round(d) for d in delays]} (first visits "
          f"{[round(d) for d in new]}); median {med:.0f}, median of first visits "
          f"{statistics.median(new) if new else float('nan'):.0f}")
    ctx.close()
    assert med <= MEDIAN_LIMIT_MS, f"median redraw delay {med:.0f} ms > {MEDIAN_LIMIT_MS:.0f} ms"
