// Batch-norm playground: the math (plain JavaScript on Float32Array, no dependency).
// A small MLP with optional batch normalization before or after each hidden activation, softmax
// cross-entropy, SGD / momentum / Adam, seeded data sets. Conventions follow bnutils.batchnorm.BatchNorm
// (Keras): epsilon 1e-3, momentum 0.99 is the weight of the OLD moving value, the moving variance is the
// biased batch variance, gamma starts at 1 and beta at 0. site_tests/test_playground.py checks this file
// against numbers computed by bnutils (site_tests/playground_fixture.json).
(function (root) {
  "use strict";

  // ------------------------------------------------------------------ seeded random numbers
  function Rng(seed) {
    let a = (seed >>> 0) ^ 0x9e3779b9;
    this.uniform = function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    this.spare = null;
  }
  Rng.prototype.normal = function () {
    if (this.spare !== null) { const s = this.spare; this.spare = null; return s; }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform(), r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  Rng.prototype.int = function (n) { return Math.floor(this.uniform() * n); };
  Rng.prototype.permutation = function (n) {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) { const j = this.int(i + 1); const t = p[i]; p[i] = p[j]; p[j] = t; }
    return p;
  };

  // ------------------------------------------------------------------ batch-norm math
  // x: (n, d) row-major. Returns y and the cache the backward pass needs.
  function bnForward(x, n, d, gamma, beta, eps) {
    if (n < 2) throw new Error("batch norm in training mode needs a batch of at least 2 examples, got " + n);
    const mu = new Float32Array(d), v = new Float32Array(d), invStd = new Float32Array(d);
    const xhat = new Float32Array(n * d), y = new Float32Array(n * d);
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i * d + j];
      const m = s / n;
      let q = 0;
      for (let i = 0; i < n; i++) { const c = x[i * d + j] - m; q += c * c; }
      mu[j] = m; v[j] = q / n;
      invStd[j] = 1 / Math.sqrt(v[j] + eps);
      for (let i = 0; i < n; i++) {
        const k = i * d + j;
        xhat[k] = (x[k] - m) * invStd[j];
        y[k] = gamma[j] * xhat[k] + beta[j];
      }
    }
    return { y: y, cache: { xhat: xhat, invStd: invStd, mu: mu, variance: v, gamma: gamma, n: n, d: d } };
  }

  // Returns dx (n, d), dgamma (d), dbeta (d): dx = gamma * invStd / n * (n dy - sum dy - xhat sum(dy xhat)).
  function bnBackward(dy, cache) {
    const n = cache.n, d = cache.d, xhat = cache.xhat;
    const dx = new Float32Array(n * d), dgamma = new Float32Array(d), dbeta = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      let sb = 0, sg = 0;
      for (let i = 0; i < n; i++) { const k = i * d + j; sb += dy[k]; sg += dy[k] * xhat[k]; }
      dbeta[j] = sb; dgamma[j] = sg;
      const c = cache.gamma[j] * cache.invStd[j] / n;
      for (let i = 0; i < n; i++) { const k = i * d + j; dx[k] = c * (n * dy[k] - sb - xhat[k] * sg); }
    }
    return { dx: dx, dgamma: dgamma, dbeta: dbeta };
  }

  // ------------------------------------------------------------------ layers
  // forward(x, n, mode): mode "train" (batch statistics, update the moving ones), "batch" (batch
  // statistics, no update: train-mode evaluation) or "infer" (moving statistics).
  function Dense(din, dout, scale, rng) {
    this.kind = "dense"; this.din = din; this.dout = dout;
    this.W = new Float32Array(din * dout); this.b = new Float32Array(dout);
    this.dW = new Float32Array(din * dout); this.db = new Float32Array(dout);
    const s = scale / Math.sqrt(din);
    for (let k = 0; k < this.W.length; k++) this.W[k] = s * rng.normal();
    this.params = [{ p: this.W, g: this.dW }, { p: this.b, g: this.db }];
  }
  Dense.prototype.forward = function (x, n) {
    const din = this.din, dout = this.dout, W = this.W, y = new Float32Array(n * dout);
    for (let i = 0; i < n; i++) {
      const yo = i * dout, xo = i * din;
      for (let o = 0; o < dout; o++) y[yo + o] = this.b[o];
      for (let k = 0; k < din; k++) {
        const xv = x[xo + k];
        if (xv === 0) continue;
        const wo = k * dout;
        for (let o = 0; o < dout; o++) y[yo + o] += xv * W[wo + o];
      }
    }
    this.x = x; this.n = n;
    return y;
  };
  Dense.prototype.backward = function (dy) {
    const n = this.n, din = this.din, dout = this.dout, x = this.x, W = this.W;
    const dW = this.dW, db = this.db, dx = new Float32Array(n * din);
    dW.fill(0); db.fill(0);
    for (let i = 0; i < n; i++) {
      const yo = i * dout, xo = i * din;
      for (let o = 0; o < dout; o++) db[o] += dy[yo + o];
      for (let k = 0; k < din; k++) {
        const xv = x[xo + k], wo = k * dout;
        let s = 0;
        for (let o = 0; o < dout; o++) { const g = dy[yo + o]; dW[wo + o] += xv * g; s += g * W[wo + o]; }
        dx[xo + k] = s;
      }
    }
    return dx;
  };

  const ACTS = {
    relu: { f: function (z) { return z > 0 ? z : 0; }, df: function (z, a) { return z > 0 ? 1 : 0; } },
    tanh: { f: Math.tanh, df: function (z, a) { return 1 - a * a; } },
    sigmoid: { f: function (z) { return 1 / (1 + Math.exp(-z)); }, df: function (z, a) { return a * (1 - a); } },
  };
  function Activation(name) {
    if (!ACTS[name]) throw new Error("activation must be one of relu, tanh, sigmoid; got " + JSON.stringify(name));
    this.kind = "act"; this.name = name; this.fn = ACTS[name]; this.params = [];
  }
  Activation.prototype.forward = function (z) {
    const a = new Float32Array(z.length), f = this.fn.f;
    for (let k = 0; k < z.length; k++) a[k] = f(z[k]);
    this.z = z; this.a = a;
    return a;
  };
  Activation.prototype.backward = function (da) {
    const dz = new Float32Array(da.length), df = this.fn.df, z = this.z, a = this.a;
    for (let k = 0; k < da.length; k++) dz[k] = da[k] * df(z[k], a[k]);
    return dz;
  };

  function BatchNormLayer(d, momentum, eps) {
    this.kind = "bn"; this.d = d;
    this.momentum = momentum === undefined ? 0.99 : momentum;
    this.eps = eps === undefined ? 1e-3 : eps;
    this.gamma = new Float32Array(d).fill(1); this.beta = new Float32Array(d);
    this.dgamma = new Float32Array(d); this.dbeta = new Float32Array(d);
    this.movingMean = new Float32Array(d); this.movingVariance = new Float32Array(d).fill(1);
    this.batchMean = null; this.batchVariance = null;
    this.params = [{ p: this.gamma, g: this.dgamma }, { p: this.beta, g: this.dbeta }];
  }
  BatchNormLayer.prototype.forward = function (x, n, mode) {
    const d = this.d;
    if (mode === "infer") {
      const y = new Float32Array(n * d);
      for (let j = 0; j < d; j++) {
        const inv = 1 / Math.sqrt(this.movingVariance[j] + this.eps), m = this.movingMean[j];
        for (let i = 0; i < n; i++) y[i * d + j] = this.gamma[j] * (x[i * d + j] - m) * inv + this.beta[j];
      }
      return y;
    }
    const r = bnForward(x, n, d, this.gamma, this.beta, this.eps);
    if (mode === "train") {
      this.cache = r.cache;
      this.batchMean = r.cache.mu; this.batchVariance = r.cache.variance;
      const keep = this.momentum;
      for (let j = 0; j < d; j++) {
        this.movingMean[j] = keep * this.movingMean[j] + (1 - keep) * r.cache.mu[j];
        this.movingVariance[j] = keep * this.movingVariance[j] + (1 - keep) * r.cache.variance[j];
      }
    }
    return r.y;
  };
  BatchNormLayer.prototype.backward = function (dy) {
    const r = bnBackward(dy, this.cache);
    this.dgamma.set(r.dgamma); this.dbeta.set(r.dbeta);
    return r.dx;
  };

  // ------------------------------------------------------------------ optimizers (Keras defaults)
  function Optimizer(name, lr, params) {
    if (!["sgd", "momentum", "adam"].includes(name)) throw new Error("optimizer must be sgd, momentum or adam; got " + JSON.stringify(name));
    if (!(lr > 0)) throw new Error("learning rate must be > 0, got " + lr);
    this.name = name; this.lr = lr; this.params = params; this.t = 0;
    this.m = params.map(function (q) { return new Float32Array(q.p.length); });
    this.v = params.map(function (q) { return new Float32Array(q.p.length); });
  }
  Optimizer.prototype.step = function () {
    const lr = this.lr;
    this.t += 1;
    const b1 = 0.9, b2 = 0.999, epsA = 1e-7;
    const c1 = 1 - Math.pow(b1, this.t), c2 = 1 - Math.pow(b2, this.t);
    for (let q = 0; q < this.params.length; q++) {
      const p = this.params[q].p, g = this.params[q].g, m = this.m[q], v = this.v[q];
      if (this.name === "sgd") {
        for (let k = 0; k < p.length; k++) p[k] -= lr * g[k];
      } else if (this.name === "momentum") {          // Keras SGD(momentum=0.9): v = 0.9 v - lr g; w += v
        for (let k = 0; k < p.length; k++) { m[k] = 0.9 * m[k] - lr * g[k]; p[k] += m[k]; }
      } else {
        for (let k = 0; k < p.length; k++) {
          m[k] = b1 * m[k] + (1 - b1) * g[k];
          v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
          p[k] -= lr * (m[k] / c1) / (Math.sqrt(v[k] / c2) + epsA);
        }
      }
    }
  };

  // ------------------------------------------------------------------ data
  function twoD(name, n, rng) {
    const x = new Float32Array(n * 2), y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % 2;
      let a, b;
      if (name === "spirals") {
        const t = rng.uniform(), r = 0.1 + 0.9 * t, th = 3 * Math.PI * t + c * Math.PI;
        a = r * Math.cos(th) + 0.06 * rng.normal(); b = r * Math.sin(th) + 0.06 * rng.normal();
      } else if (name === "circles") {
        const r = c ? 0.75 + 0.15 * rng.normal() : 0.3 * Math.abs(rng.normal()), th = 2 * Math.PI * rng.uniform();
        a = r * Math.cos(th); b = r * Math.sin(th);
      } else if (name === "xor") {
        a = 2 * rng.uniform() - 1; b = 2 * rng.uniform() - 1;
        y[i] = a * b > 0 ? 1 : 0; x[2 * i] = a; x[2 * i + 1] = b;
        continue;
      } else {
        throw new Error("2-D task must be spirals, circles or xor; got " + JSON.stringify(name));
      }
      x[2 * i] = a; x[2 * i + 1] = b; y[i] = c;
    }
    return { x: x, y: y, n: n };
  }

  function decodeBase64(s) {
    if (typeof atob === "function") {
      const bin = atob(s), out = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
      return out;
    }
    return new Uint8Array(Buffer.from(s, "base64"));
  }

  const TASKS = ["spirals", "circles", "xor", "mnist"];
  // {train: {x, y, n}, val: {x, y, n}, d, classes, is2d}. MNIST needs window.BNPlaygroundMNIST (mnist_small.js).
  function makeTask(name, seed) {
    if (!TASKS.includes(name)) throw new Error("task must be one of " + TASKS.join(", ") + "; got " + JSON.stringify(name));
    if (name === "mnist") {
      const M = root.BNPlaygroundMNIST;
      if (!M) throw new Error("the MNIST data (mnist_small.js) is not loaded");
      if (!M.decoded) {
        const u8 = decodeBase64(M.x), lab = decodeBase64(M.y), x = new Float32Array(u8.length);
        for (let k = 0; k < u8.length; k++) x[k] = u8[k] / 255;
        M.decoded = { x: x, y: Int32Array.from(lab) };
      }
      const d = M.d, nt = M.nTrain, nv = M.nVal, X = M.decoded.x, Y = M.decoded.y;
      return {
        name: name, d: d, classes: M.classes, is2d: false,
        train: { x: X.subarray(0, nt * d), y: Y.subarray(0, nt), n: nt },
        val: { x: X.subarray(nt * d, (nt + nv) * d), y: Y.subarray(nt, nt + nv), n: nv },
      };
    }
    const rng = new Rng(1000 + seed);
    return { name: name, d: 2, classes: 2, is2d: true, train: twoD(name, 400, rng), val: twoD(name, 200, rng) };
  }

  // ------------------------------------------------------------------ the network
  const DEFAULTS = { task: "spirals", depth: 3, width: 16, activation: "relu", scale: 1, lr: 0.1, batch: 32,
    optimizer: "sgd", bn: "before", seed: 0 };

  function checkConfig(cfg) {
    const c = Object.assign({}, DEFAULTS, cfg);
    const bad = function (what, expected) { throw new Error(what + " must be " + expected + ", got " + JSON.stringify(c[what])); };
    if (!TASKS.includes(c.task)) bad("task", TASKS.join("/"));
    if (!(Number.isInteger(c.depth) && c.depth >= 1 && c.depth <= 10)) bad("depth", "an integer from 1 to 10");
    if (!(Number.isInteger(c.width) && c.width >= 1 && c.width <= 256)) bad("width", "an integer from 1 to 256");
    if (!ACTS[c.activation]) bad("activation", "relu/tanh/sigmoid");
    if (!(c.scale > 0)) bad("scale", "> 0");
    if (!(c.lr > 0)) bad("lr", "> 0");
    if (!(Number.isInteger(c.batch) && c.batch >= 2)) bad("batch", "an integer >= 2");
    if (!["sgd", "momentum", "adam"].includes(c.optimizer)) bad("optimizer", "sgd/momentum/adam");
    if (!["off", "before", "after"].includes(c.bn)) bad("bn", "off/before/after");
    if (!Number.isInteger(c.seed)) bad("seed", "an integer");
    return c;
  }

  // One training run: the network, its optimizer, its batch order and its history.
  function Run(cfg, task) {
    this.cfg = checkConfig(cfg);
    this.task = task || makeTask(this.cfg.task, this.cfg.seed);
    const c = this.cfg, rng = new Rng(c.seed);
    this.layers = []; this.dense = []; this.bns = []; this.blocks = [];
    let din = this.task.d;
    for (let l = 0; l < c.depth; l++) {
      const dense = new Dense(din, c.width, c.scale, rng);
      this.layers.push(dense); this.dense.push(dense);
      if (c.bn === "before") { const bn = new BatchNormLayer(c.width); this.layers.push(bn); this.bns.push(bn); }
      const act = new Activation(c.activation);
      this.layers.push(act); this.blocks.push(act);
      if (c.bn === "after") { const bn = new BatchNormLayer(c.width); this.layers.push(bn); this.bns.push(bn); }
      din = c.width;
    }
    const out = new Dense(din, this.task.classes, 1, rng);
    this.layers.push(out); this.dense.push(out);
    this.params = [].concat.apply([], this.layers.map(function (L) { return L.params; }));
    this.opt = new Optimizer(c.optimizer, c.lr, this.params);
    this.batchRng = new Rng(c.seed + 7919);
    this.order = this.batchRng.permutation(this.task.train.n); this.pos = 0;
    this.step = 0;
    this.hist = { step: [], loss: [], evalStep: [], valLoss: [], valAcc: [], valAccTrainMode: [], trainAcc: [],
      actMean: [], actStd: [], gradNorm: [], bnBatchMean: [], bnMovingMean: [], bnBatchVar: [], bnMovingVar: [] };
  }

  Run.prototype.forward = function (x, n, mode) {
    let h = x;
    for (let l = 0; l < this.layers.length; l++) h = this.layers[l].forward(h, n, mode);
    return h;
  };

  // Mean softmax cross-entropy, accuracy, and (optionally) d loss / d logits.
  function softmaxCE(logits, y, n, k, wantGrad) {
    let loss = 0, correct = 0;
    const g = wantGrad ? new Float32Array(n * k) : null;
    for (let i = 0; i < n; i++) {
      let mx = -Infinity, arg = 0;
      for (let j = 0; j < k; j++) if (logits[i * k + j] > mx) { mx = logits[i * k + j]; arg = j; }
      let s = 0;
      for (let j = 0; j < k; j++) s += Math.exp(logits[i * k + j] - mx);
      loss += Math.log(s) + mx - logits[i * k + y[i]];
      if (arg === y[i]) correct += 1;
      if (g) for (let j = 0; j < k; j++) g[i * k + j] = (Math.exp(logits[i * k + j] - mx) / s - (j === y[i] ? 1 : 0)) / n;
    }
    return { loss: loss / n, acc: correct / n, grad: g };
  }

  Run.prototype.nextBatch = function () {
    const tr = this.task.train, d = this.task.d, b = Math.min(this.cfg.batch, tr.n);
    if (this.pos + b > tr.n) { this.order = this.batchRng.permutation(tr.n); this.pos = 0; }
    const x = new Float32Array(b * d), y = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      const r = this.order[this.pos + i];
      x.set(tr.x.subarray(r * d, (r + 1) * d), i * d); y[i] = tr.y[r];
    }
    this.pos += b;
    return { x: x, y: y, n: b };
  };

  function meanStd(a) {
    let s = 0, q = 0;
    for (let k = 0; k < a.length; k++) s += a[k];
    const m = s / a.length;
    for (let k = 0; k < a.length; k++) q += (a[k] - m) * (a[k] - m);
    return [m, Math.sqrt(q / a.length)];
  }

  // One optimizer step on the next mini-batch; records the statistics the page plots. Returns the loss.
  Run.prototype.trainStep = function () {
    const b = this.nextBatch(), k = this.task.classes;
    const logits = this.forward(b.x, b.n, "train");
    const r = softmaxCE(logits, b.y, b.n, k, true);
    let g = r.grad;
    for (let l = this.layers.length - 1; l >= 0; l--) g = this.layers[l].backward(g);
    this.opt.step();
    this.step += 1;
    const H = this.hist;
    H.step.push(this.step); H.loss.push(r.loss); H.trainAcc.push(r.acc);
    H.actMean.push(this.blocks.map(function (L) { return meanStd(L.a)[0]; }));
    H.actStd.push(this.blocks.map(function (L) { return meanStd(L.a)[1]; }));
    H.gradNorm.push(this.dense.map(function (L) { let s = 0; for (let q = 0; q < L.dW.length; q++) s += L.dW[q] * L.dW[q]; return Math.sqrt(s); }));
    if (this.bns.length) {
      const bn = this.bns[0];
      H.bnBatchMean.push(bn.batchMean[0]); H.bnMovingMean.push(bn.movingMean[0]);
      H.bnBatchVar.push(bn.batchVariance[0]); H.bnMovingVar.push(bn.movingVariance[0]);
    }
    return r.loss;
  };

  // Validation loss and accuracy in inference mode (moving statistics) and accuracy in train mode
  // (each validation batch normalized with its own statistics, moving statistics untouched).
  Run.prototype.evaluate = function () {
    const v = this.task.val, d = this.task.d, k = this.task.classes;
    const inf = softmaxCE(this.forward(v.x, v.n, "infer"), v.y, v.n, k, false);
    let accTrain = inf.acc;
    if (this.bns.length) {
      const b = Math.max(2, Math.min(this.cfg.batch, v.n));
      let correct = 0, seen = 0;
      for (let s = 0; s + b <= v.n; s += b) {
        const r = softmaxCE(this.forward(v.x.subarray(s * d, (s + b) * d), b, "batch"), v.y.subarray(s, s + b), b, k, false);
        correct += r.acc * b; seen += b;
      }
      accTrain = correct / seen;
    }
    const H = this.hist;
    H.evalStep.push(this.step); H.valLoss.push(inf.loss); H.valAcc.push(inf.acc); H.valAccTrainMode.push(accTrain);
    return { loss: inf.loss, acc: inf.acc, accTrainMode: accTrain };
  };

  // Class-1 probability on a g x g grid over [-lim, lim]^2 (inference mode), row 0 at the top.
  Run.prototype.grid = function (g, lim) {
    const x = new Float32Array(g * g * 2);
    for (let r = 0; r < g; r++) for (let c = 0; c < g; c++) {
      const i = r * g + c;
      x[2 * i] = -lim + 2 * lim * (c + 0.5) / g; x[2 * i + 1] = lim - 2 * lim * (r + 0.5) / g;
    }
    const logits = this.forward(x, g * g, "infer"), p = new Float32Array(g * g);
    for (let i = 0; i < g * g; i++) p[i] = 1 / (1 + Math.exp(logits[2 * i] - logits[2 * i + 1]));
    return p;
  };

  // Train a fresh run for `steps` steps; returns the per-step losses (used by the tests).
  function trainRun(cfg, steps) {
    const run = new Run(cfg), losses = [];
    for (let s = 0; s < steps; s++) losses.push(run.trainStep());
    return { losses: losses, run: run };
  }

  root.BNPlaygroundEngine = { Rng: Rng, bnForward: bnForward, bnBackward: bnBackward, BatchNormLayer: BatchNormLayer,
    Dense: Dense, Activation: Activation, Optimizer: Optimizer, makeTask: makeTask, Run: Run, trainRun: trainRun,
    checkConfig: checkConfig, softmaxCE: softmaxCE, DEFAULTS: DEFAULTS, TASKS: TASKS };
})(typeof window !== "undefined" ? window : globalThis);
