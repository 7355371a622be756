// Batch-norm playground: the page (controls, two side-by-side runs, live charts). The math is in engine.js.
(function () {
  "use strict";
  const E = window.BNPlaygroundEngine;
  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000"];
  const CONTROLS = [
    { key: "task", label: "Task", options: [["spirals", "spirals (2-D)"], ["circles", "circles (2-D)"], ["xor", "xor (2-D)"], ["mnist", "MNIST digits (14x14)"]] },
    { key: "depth", label: "Hidden layers", range: [1, 10], num: true },
    { key: "width", label: "Width", options: [4, 8, 16, 32, 64], num: true },
    { key: "activation", label: "Activation", options: [["relu", "ReLU"], ["tanh", "tanh"], ["sigmoid", "sigmoid"]] },
    { key: "scale", label: "Weight scale s (W ~ N(0, s\u00b2/fan-in))", options: [0.1, 0.5, 1, 1.41, 2, 4], num: true },
    { key: "lr", label: "Learning rate", options: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3], num: true },
    { key: "batch", label: "Batch size", options: [4, 8, 16, 32, 64, 128], num: true },
    { key: "optimizer", label: "Optimizer", options: [["sgd", "SGD"], ["momentum", "momentum 0.9"], ["adam", "Adam"]] },
    { key: "seed", label: "Seed", options: [0, 1, 2, 3, 4], num: true },
    { key: "bnA", label: "Left: batch norm", options: [["before", "before activation"], ["after", "after activation"], ["off", "off"]] },
    { key: "bnB", label: "Right: batch norm", options: [["off", "off"], ["before", "before activation"], ["after", "after activation"]] },
    { key: "speed", label: "Steps per frame", options: [1, 2, 5, 10, 20], num: true, live: true },
  ];
  const START = { task: "spirals", depth: 3, width: 16, activation: "relu", scale: 1, lr: 0.3, batch: 32,
    optimizer: "sgd", seed: 0, bnA: "before", bnB: "off", speed: 2 };
  const EVAL_EVERY = 10;

  function el(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // ---------------------------------------------------------------- charts on <canvas>
  function prepCanvas(cv) {
    const dpr = window.devicePixelRatio || 1, w = cv.clientWidth || 300, h = cv.clientHeight || 150;
    if (cv.width !== Math.round(w * dpr)) { cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr); }
    const ctx = cv.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return { ctx: ctx, w: w, h: h };
  }

  // series: [{x: [...], y: [...], color, label, dash}]; opts: {log, title, ylo, yhi}
  function lineChart(cv, series, opts) {
    const c = prepCanvas(cv), ctx = c.ctx, L = 40, R = 6, T = 16, B = 16;
    const f = opts.log ? function (v) { return Math.log10(Math.max(v, 1e-12)); } : function (v) { return v; };
    let xmax = 1, ylo = Infinity, yhi = -Infinity;
    series.forEach(function (s) {
      if (s.x.length) xmax = Math.max(xmax, s.x[s.x.length - 1]);
      s.y.forEach(function (v) { if (isFinite(v)) { const u = f(v); ylo = Math.min(ylo, u); yhi = Math.max(yhi, u); } });
    });
    if (opts.ylo !== undefined) { ylo = opts.ylo; yhi = Math.max(opts.yhi, yhi === -Infinity ? opts.yhi : opts.yhi); }
    if (!isFinite(ylo)) { ylo = 0; yhi = 1; }
    if (yhi - ylo < 1e-9) { yhi += 0.5; ylo -= 0.5; }
    const X = function (x) { return L + (c.w - L - R) * x / xmax; };
    const Y = function (y) { return T + (c.h - T - B) * (1 - (f(y) - ylo) / (yhi - ylo)); };
    ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1; ctx.strokeRect(L, T, c.w - L - R, c.h - T - B);
    ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
    ctx.fillText(opts.title, L, 11);
    const fmt = function (u) { const v = opts.log ? Math.pow(10, u) : u; return Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : v.toFixed(2); };
    ctx.fillText(fmt(yhi), 2, T + 8); ctx.fillText(fmt(ylo), 2, c.h - B);
    ctx.fillText("step " + xmax, c.w - R - 60, c.h - 3);
    series.forEach(function (s) {
      ctx.strokeStyle = s.color; ctx.setLineDash(s.dash ? [4, 3] : []); ctx.beginPath();
      let started = false;
      const stride = Math.max(1, Math.floor(s.x.length / 600));
      for (let i = 0; i < s.x.length; i += stride) {
        if (!isFinite(s.y[i])) { started = false; continue; }
        const px = X(s.x[i]), py = Math.min(c.h - B, Math.max(T, Y(s.y[i])));
        if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true; }
      }
      ctx.stroke();
    });
    ctx.setLineDash([]);
    let lx = L + 4;
    series.forEach(function (s) {
      if (!s.label) return;
      ctx.fillStyle = s.color; ctx.fillText(s.label, lx, T + 11); lx += ctx.measureText(s.label).width + 8;
    });
  }

  function smooth(a, w) {            // trailing mean over w steps (the batch loss is noisy)
    const out = new Array(a.length);
    let s = 0;
    for (let i = 0; i < a.length; i++) { s += a[i]; if (i >= w) s -= a[i - w]; out[i] = s / Math.min(i + 1, w); }
    return out;
  }

  function column(rows, j) { return rows.map(function (r) { return r[j]; }); }

  // ---------------------------------------------------------------- one side (one run)
  function Panel(parent, side) {
    this.side = side;
    this.root = el("div", { class: "pg-panel", "data-side": side }, parent);
    this.title = el("h3", { class: "pg-title" }, this.root);
    this.readout = el("div", { class: "pg-readout", "aria-live": "off" }, this.root);
    this.boundary = el("canvas", { class: "pg-boundary", width: 200, height: 200, role: "img" }, this.root);
    this.charts = {};
    const names = [["loss", "training and validation loss"], ["acc", "validation accuracy: inference vs train mode"],
      ["act", "activation std and mean per hidden layer"], ["grad", "weight-gradient norm per layer"],
      ["bn", "layer 1, unit 1: batch vs moving statistics"]];
    for (const [k, label] of names) this.charts[k] = el("canvas", { class: "pg-chart", "data-chart": k, role: "img", "aria-label": label }, this.root);
  }
  Panel.prototype.draw = function (run) {
    const H = run.hist, c = run.cfg, last = function (a) { return a.length ? a[a.length - 1] : NaN; };
    this.title.textContent = (this.side === "A" ? "Left" : "Right") + ": BN " + (c.bn === "off" ? "off" : c.bn + " the activation");
    const f = function (v, k) { return isFinite(v) ? v.toFixed(k) : String(v); };
    this.readout.innerHTML = "";
    const items = [["step", run.step], ["train loss", f(last(H.loss), 3)], ["val loss", f(last(H.valLoss), 3)],
      ["val acc (inference)", f(last(H.valAcc), 3)], ["val acc (train mode)", f(last(H.valAccTrainMode), 3)]];
    for (const [k, v] of items) {
      const s = el("span", { class: "pg-item", "data-readout": k }, this.readout);
      el("b", {}, s, k + ": "); el("span", { class: "pg-val" }, s, String(v));
    }
    if (H.loss.length && !isFinite(last(H.loss))) {
      el("span", { class: "pg-diverged", "data-readout": "diverged" }, this.readout, "diverged: the loss is no longer a finite number");
    }
    // decision boundary (2-D tasks)
    if (run.task.is2d) {
      this.boundary.style.display = "";
      const cv = this.boundary, ctx = cv.getContext("2d"), g = 40, lim = 1.3, size = cv.width;
      const p = run.grid(g, lim), img = ctx.createImageData(g, g);
      for (let i = 0; i < g * g; i++) {
        const q = isFinite(p[i]) ? p[i] : 0.5;
        img.data[4 * i] = Math.round(255 - 120 * q); img.data[4 * i + 1] = Math.round(200 - 40 * Math.abs(q - 0.5));
        img.data[4 * i + 2] = Math.round(135 + 120 * q); img.data[4 * i + 3] = 255;
      }
      const off = document.createElement("canvas"); off.width = g; off.height = g; off.getContext("2d").putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true; ctx.drawImage(off, 0, 0, size, size);
      const v = run.task.val;
      for (let i = 0; i < v.n; i++) {
        ctx.fillStyle = v.y[i] ? "#1c3f94" : "#b22222";
        ctx.beginPath();
        ctx.arc((v.x[2 * i] + lim) / (2 * lim) * size, (lim - v.x[2 * i + 1]) / (2 * lim) * size, 2, 0, 2 * Math.PI);
        ctx.fill();
      }
      cv.setAttribute("aria-label", "decision boundary after " + run.step + " steps: red class 0, blue class 1, validation points");
    } else {
      this.boundary.style.display = "none";
    }
    lineChart(this.charts.loss, [{ x: H.step, y: smooth(H.loss, 10), color: COLORS[0], label: "train (10-step mean)" },
      { x: H.evalStep, y: H.valLoss, color: COLORS[1], label: "val" }], { title: "loss (log scale)", log: true });
    const accSeries = [{ x: H.evalStep, y: H.valAcc, color: COLORS[2], label: "inference" }];
    if (run.bns.length) accSeries.push({ x: H.evalStep, y: H.valAccTrainMode, color: COLORS[3], label: "train mode", dash: true });
    lineChart(this.charts.acc, accSeries, { title: "validation accuracy", ylo: 0, yhi: 1 });
    const depth = run.blocks.length, act = [], grad = [];
    for (let l = 0; l < depth; l++) {
      act.push({ x: H.step, y: column(H.actStd, l), color: COLORS[l % 10], label: depth <= 5 ? "L" + (l + 1) : (l === 0 || l === depth - 1 ? "L" + (l + 1) : "") });
      act.push({ x: H.step, y: column(H.actMean, l), color: COLORS[l % 10], dash: true });
    }
    for (let l = 0; l <= depth; l++) grad.push({ x: H.step, y: column(H.gradNorm, l), color: COLORS[l % 11], label: depth <= 5 ? (l === depth ? "out" : "L" + (l + 1)) : "" });
    lineChart(this.charts.act, act, { title: "per hidden block output: std (solid), mean (dashed)" });
    lineChart(this.charts.grad, grad, { title: "|dL/dW| per layer (log scale)", log: true });
    if (run.bns.length) {
      this.charts.bn.style.display = "";
      lineChart(this.charts.bn, [{ x: H.step, y: H.bnBatchMean, color: COLORS[0], label: "batch mean" },
        { x: H.step, y: H.bnMovingMean, color: COLORS[0], label: "moving mean", dash: true },
        { x: H.step, y: H.bnBatchVar, color: COLORS[1], label: "batch var" },
        { x: H.step, y: H.bnMovingVar, color: COLORS[1], label: "moving var", dash: true }],
        { title: "first BN layer, unit 1: batch vs moving statistics" });
    } else {
      this.charts.bn.style.display = "none";
    }
  };

  // ---------------------------------------------------------------- the app
  function App(root) {
    this.root = root;
    this.cfg = Object.assign({}, START);
    this.playing = false;
    this.controls = {};
    const bar = el("div", { class: "pg-controls" }, root);
    const self = this;
    for (const spec of CONTROLS) {
      const lab = el("label", { class: "pg-control" }, bar);
      el("span", {}, lab, spec.label);
      let input;
      if (spec.range) {
        input = el("input", { type: "range", min: spec.range[0], max: spec.range[1], step: 1, value: this.cfg[spec.key], "data-pg-control": spec.key }, lab);
        const out = el("output", {}, lab, String(this.cfg[spec.key]));
        input.addEventListener("input", function () { out.textContent = input.value; });
      } else {
        input = el("select", { "data-pg-control": spec.key }, lab);
        for (const o of spec.options) {
          const val = Array.isArray(o) ? o[0] : o, text = Array.isArray(o) ? o[1] : String(o);
          const opt = el("option", { value: String(val) }, input, text);
          if (String(val) === String(this.cfg[spec.key])) opt.selected = true;
        }
      }
      input.addEventListener(spec.range ? "input" : "change", function () {
        self.cfg[spec.key] = spec.num ? Number(input.value) : input.value;
        if (!spec.live) self.reset();
      });
      this.controls[spec.key] = input;
    }
    const buttons = el("div", { class: "pg-buttons" }, root);
    this.playBtn = el("button", { type: "button", "data-pg-button": "play" }, buttons, "\u25b6 Play");
    this.stepBtn = el("button", { type: "button", "data-pg-button": "step" }, buttons, "Step");
    this.resetBtn = el("button", { type: "button", "data-pg-button": "reset" }, buttons, "Reset");
    this.status = el("span", { class: "pg-status", "data-pg-status": "" }, buttons);
    this.playBtn.addEventListener("click", function () { self.playing ? self.pause() : self.play(); });
    this.stepBtn.addEventListener("click", function () { self.pause(); self.advance(1); self.draw(); });
    this.resetBtn.addEventListener("click", function () { self.reset(); });
    const panels = el("div", { class: "pg-panels" }, root);
    this.panels = [new Panel(panels, "A"), new Panel(panels, "B")];
    this.reset();
  }

  App.prototype.runConfig = function (bn) {
    const c = this.cfg;
    return { task: c.task, depth: c.depth, width: c.width, activation: c.activation, scale: c.scale, lr: c.lr,
      batch: c.batch, optimizer: c.optimizer, seed: c.seed, bn: bn };
  };

  App.prototype.reset = function () {
    this.pause();
    const self = this;
    if (this.cfg.task === "mnist" && !window.BNPlaygroundMNIST) {   // load the digits on first use (also from file://)
      this.status.textContent = "loading the digits\u2026";
      this.runs = null;
      if (!this.loading) {
        this.loading = true;
        const s = document.createElement("script");
        s.src = window.BNPlaygroundBase + "mnist_small.js";
        s.onload = function () { self.loading = false; self.reset(); };
        s.onerror = function () { self.loading = false; self.status.textContent = "could not load mnist_small.js"; };
        document.head.appendChild(s);
      }
      return;
    }
    try {
      const task = E.makeTask(this.cfg.task, this.cfg.seed);
      this.runs = [new E.Run(this.runConfig(this.cfg.bnA), task), new E.Run(this.runConfig(this.cfg.bnB), task)];
      this.runs.forEach(function (r) { r.evaluate(); });
      this.status.textContent = "";
    } catch (err) {
      this.runs = null;
      this.status.textContent = String(err.message || err);
      console.error(err);
      return;
    }
    this.draw();
  };

  App.prototype.advance = function (n) {
    if (!this.runs) return;
    for (let s = 0; s < n; s++) {
      for (const r of this.runs) {
        r.trainStep();
        if (r.step % EVAL_EVERY === 0) r.evaluate();
      }
    }
  };

  App.prototype.draw = function () {
    if (!this.runs) return;
    for (let k = 0; k < 2; k++) this.panels[k].draw(this.runs[k]);
    this.root.setAttribute("data-step", String(this.runs[0].step));
  };

  App.prototype.play = function () {
    if (this.playing || !this.runs) return;
    this.playing = true;
    this.playBtn.textContent = "\u275a\u275a Pause";
    this.root.setAttribute("data-playing", "true");
    const self = this;
    const tick = function () {
      if (!self.playing) return;
      const t0 = performance.now();          // at most `speed` steps, and stop early on a slow device or a big net
      for (let k = 0; k < self.cfg.speed && (k === 0 || performance.now() - t0 < 40); k++) self.advance(1);
      self.draw();
      self.raf = window.requestAnimationFrame(tick);
    };
    this.raf = window.requestAnimationFrame(tick);
  };

  App.prototype.pause = function () {
    this.playing = false;
    if (this.raf) window.cancelAnimationFrame(this.raf);
    this.raf = null;
    if (this.playBtn) this.playBtn.textContent = "\u25b6 Play";
    this.root.setAttribute("data-playing", "false");
  };

  function start() {
    const root = document.getElementById("bn-playground");
    if (!root || root.dataset.ready) return;
    root.dataset.ready = "1";
    root.textContent = "";
    window.BNPlayground = new App(root);
  }
  const me = document.currentScript;
  window.BNPlaygroundBase = me ? me.src.replace(/[^\/]*$/, "") : "../_static/playground/";
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
