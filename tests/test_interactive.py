"""The interactive-figure helper: static frames really differ, HTML is self-contained, live widgets redraw."""
import base64
import json
import re

import numpy as np
import pytest

from bnutils.interactive import Choice, Slider, interactive_figure


def _draw(fig, a, kind):
    ax = fig.subplots()
    x = np.linspace(-3, 3, 50)
    ax.plot(x, np.sin(a * x) if kind == "sin" else np.cos(a * x))
    ax.set_title(f"a = {a}")


def test_static_frames_differ_and_html_is_self_contained():
    f = interactive_figure(_draw, a=[0.5, 1.0, 2.0], kind=Choice({"sine": "sin", "cosine": "cos"}),
                           caption="A test figure", mode="static")
    frames = f.frames()
    assert len(frames) == 6 and len(set(frames)) == 6
    assert all(fr[:8] == b"\x89PNG\r\n\x1a\n" for fr in frames)
    html = f.to_html()
    assert 'type="range"' in html and "<select" in html
    assert "http://" not in html and "https://" not in html and "require" not in html
    uris = json.loads(re.search(r'class="bnu-frames">(.*?)</script>', html).group(1))
    assert [base64.b64decode(u.split(",", 1)[1]) for u in uris] == frames
    # the initial image is the frame of the initial values (a = 1.0 is the middle value, kind = first)
    src = re.search(r'<img src="([^"]+)"', html).group(1)
    assert src == uris[1 * 2 + 0]
    assert 'alt="A test figure (a = 1, kind = sine)"' in html


def test_slider_and_choice_validation():
    s = Slider([1, 2, 3], value=3, fmt="{:.1f}")
    assert s.index == 2 and s.names == ["1.0", "2.0", "3.0"]
    with pytest.raises(ValueError, match="not one of"):
        Slider([1, 2], value=5)
    with pytest.raises(ValueError, match="max_frames"):
        interactive_figure(_draw, a=list(range(20)), kind=list("abcdefghij"), mode="static")
    with pytest.raises(TypeError, match="control 'a'"):
        interactive_figure(_draw, a=3, kind=["sin"], mode="static")
    with pytest.raises(ValueError, match="at least one control"):
        interactive_figure(_draw, mode="static")


def test_mode_follows_environment(monkeypatch):
    monkeypatch.setenv("BNUTILS_STATIC", "1")
    assert interactive_figure(_draw, a=[1.0], kind=["sin"]).mode == "static"
    monkeypatch.delenv("BNUTILS_STATIC")
    # no kernel in pytest: falls back to static, which needs no frontend
    assert interactive_figure(_draw, a=[1.0], kind=["sin"]).mode == "static"


def test_live_widget_redraws_on_change():
    pytest.importorskip("ipywidgets")
    f = interactive_figure(_draw, a=[0.5, 1.0, 2.0], kind=["sin", "cos"], mode="live")
    box = f.widget()
    slider, choice = box.children[0].children
    image = box.children[1]
    first = image.value
    slider.value = 2.0
    second = image.value
    choice.value = "cos"
    third = image.value
    assert first[:4] == b"\x89PNG"
    assert len({first, second, third}) == 3
