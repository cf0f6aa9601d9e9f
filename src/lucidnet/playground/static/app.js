// The page: its settings (kept in the URL after #), the WebSocket to the server, the controls.
// The server holds the network and trains it; this file only asks and draws.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const LN = window.LN;
  const token = new URLSearchParams(location.search).get("token") || "";

  const DEFAULTS = {
    dataset: "circle", noise: 0, trainRatio: 0.5, dataSeed: 0, points: 400,
    features: ["x1", "x2"], hidden: [4, 2], activation: "tanh", output: "sigmoid",
    optimizer: "sgd", learningRate: 0.03, batchSize: 10, l2: 0, dropout: 0, seed: 0,
  };
  const FEATURES = [["x1", "x1"], ["x2", "x2"], ["x1sq", "x1²"], ["x2sq", "x2²"],
    ["x1x2", "x1·x2"], ["sinx1", "sin x1"], ["sinx2", "sin x2"]];
  const LISTS = { features: true, hidden: true };
  const NUMBERS = ["noise", "trainRatio", "dataSeed", "points", "learningRate", "batchSize",
    "l2", "dropout", "seed"];
  const MAX_LAYERS = 6, MAX_UNITS = 8;

  const state = { config: { ...DEFAULTS }, showTest: false, data: null, frame: null, ws: null };
  LN.state = state;

  // ------------------------------------------------------------------ the URL

  function fromHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    const c = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS)) {
      if (!p.has(key)) continue;
      const v = p.get(key);
      if (key === "features") c[key] = v ? v.split(",") : [];
      else if (key === "hidden") c[key] = v ? v.split(",").map(Number) : [];
      else if (NUMBERS.includes(key)) c[key] = Number(v);
      else c[key] = v;
    }
    if (c.dataset === "csv") {
      c.dataset = "circle";
      LN.panels.showError("This link was made with an uploaded CSV file: upload it again to use it.");
    }
    state.showTest = p.get("showTest") === "1";
    return c;
  }

  function toHash(config) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(config)) p.set(k, LISTS[k] ? v.join(",") : String(v));
    p.set("showTest", state.showTest ? "1" : "0");
    history.replaceState(null, "", `#${p.toString()}`);
  }

  // ------------------------------------------------------------------ the connection

  function send(message) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
  }
  LN.send = send;

  // Changes apply at once here (so quick successive changes add up); the server answers
  // with the settings in use, which replace these (and undo a refused change).
  function sendConfig(changes) {
    state.config = { ...state.config, ...changes };
    toHash(state.config);
    send({ type: "config", config: state.config });
  }

  function connect(initial) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    state.ws = ws;
    ws.onopen = () => send({ type: "config", config: initial });
    ws.onmessage = (event) => receive(JSON.parse(event.data));
    ws.onclose = () => {
      document.body.classList.add("offline");
      LN.panels.showError("The connection to the playground server is closed: restart 'lucidnet playground' and reload.");
    };
  }

  function receive(msg) {
    switch (msg.type) {
      case "state": setControls(msg.config); break;
      case "data": state.data = msg; drawPlanes(); break;
      case "frame": showFrame(msg); break;
      case "error": LN.panels.showError(msg.message); break;
      default: LN.panels.receive(msg);
    }
  }

  // ------------------------------------------------------------------ controls

  function options(select, values, label) {
    select.textContent = "";
    for (const v of values) {
      const o = document.createElement("option");
      o.value = String(v);
      o.textContent = label ? label(v) : String(v);
      select.appendChild(o);
    }
  }

  function selectValue(select, value) {
    const text = String(value);
    if (![...select.options].some((o) => o.value === text)) {
      const o = document.createElement("option");
      o.value = text; o.textContent = text;
      select.appendChild(o);
    }
    select.value = text;
  }

  function setControls(config) {
    state.config = config;
    $("dataset").value = config.dataset;
    $("dataset").querySelector('option[value="csv"]').disabled = config.dataset !== "csv";
    $("noise").value = Math.round(config.noise * 100);
    $("noise-value").textContent = `${Math.round(config.noise * 100)}%`;
    $("train-ratio").value = Math.round(config.trainRatio * 100);
    $("train-ratio-value").textContent = `${Math.round(config.trainRatio * 100)}%`;
    for (const [key] of FEATURES) $(`feature-${key}`).checked = config.features.includes(key);
    for (const id of ["activation", "output", "optimizer"]) $(id).value = config[id];
    selectValue($("learning-rate"), config.learningRate);
    selectValue($("l2"), config.l2);
    selectValue($("dropout"), config.dropout);
    $("batch-size").value = config.batchSize;
    $("seed").value = config.seed;
    $("show-test").checked = state.showTest;
    $("add-layer").disabled = config.hidden.length >= MAX_LAYERS;
    $("remove-layer").disabled = config.hidden.length === 0;
    $("net-summary").textContent = `${config.hidden.length} hidden layer(s)`;
    toHash(config);
  }

  function wire() {
    options($("learning-rate"), [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]);
    options($("l2"), [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]);
    options($("dropout"), [0, 0.1, 0.2, 0.3, 0.5]);
    const box = $("features");
    for (const [key, label] of FEATURES) {
      const l = document.createElement("label");
      l.className = "inline feature";
      l.innerHTML = `<input type="checkbox" id="feature-${key}"> ${label}`;
      box.appendChild(l);
      l.querySelector("input").addEventListener("change", () => {
        const features = FEATURES.map(([k]) => k).filter((k) => $(`feature-${k}`).checked);
        if (!features.length) { LN.panels.showError("Keep at least one input."); $(`feature-${key}`).checked = true; return; }
        sendConfig({ features });
      });
    }
    $("dataset").addEventListener("change", (e) => {
      const dataset = e.target.value;
      const regression = dataset.startsWith("reg-");
      let output = state.config.output;
      if (regression) output = "identity";
      else if (output === "identity") output = dataset === "blobs3" ? "softmax" : "sigmoid";
      if (dataset === "blobs3" && output === "sigmoid") output = "softmax";
      sendConfig({ dataset, output });
    });
    $("noise").addEventListener("change", (e) => sendConfig({ noise: Number(e.target.value) / 100 }));
    $("train-ratio").addEventListener("change", (e) => sendConfig({ trainRatio: Number(e.target.value) / 100 }));
    $("regenerate").addEventListener("click", () => sendConfig({ dataSeed: (state.config.dataSeed + 1) % 2147483647 }));
    for (const [id, key] of [["activation", "activation"], ["output", "output"], ["optimizer", "optimizer"]]) {
      $(id).addEventListener("change", (e) => sendConfig({ [key]: e.target.value }));
    }
    for (const [id, key] of [["learning-rate", "learningRate"], ["l2", "l2"], ["dropout", "dropout"],
      ["batch-size", "batchSize"], ["seed", "seed"]]) {
      $(id).addEventListener("change", (e) => sendConfig({ [key]: Number(e.target.value) }));
    }
    $("add-layer").addEventListener("click", () => {
      if (state.config.hidden.length < MAX_LAYERS) sendConfig({ hidden: [...state.config.hidden, 2] });
    });
    $("remove-layer").addEventListener("click", () => sendConfig({ hidden: state.config.hidden.slice(0, -1) }));
    $("play").addEventListener("click", () => send({ type: state.frame && state.frame.running ? "pause" : "play" }));
    $("step").addEventListener("click", () => send({ type: "step" }));
    $("reset").addEventListener("click", () => send({ type: "reset" }));
    $("show-test").addEventListener("change", (e) => { state.showTest = e.target.checked; toHash(state.config); drawPlanes(); });
    $("copy-link").addEventListener("click", () => {
      const done = () => LN.panels.note("link copied");
      if (navigator.clipboard) navigator.clipboard.writeText(location.href).then(done, () => {});
    });
    LN.panels.wire();
  }

  function changeUnits(l, delta) {
    const hidden = [...state.config.hidden];
    hidden[l - 1] = Math.min(MAX_UNITS, Math.max(1, hidden[l - 1] + delta));
    sendConfig({ hidden });
  }

  // ------------------------------------------------------------------ drawing

  function number(v) { return v === null || v === undefined ? "–" : v.toFixed(3); }

  function showFrame(frame) {
    state.frame = frame;
    $("epoch").textContent = String(frame.epoch);
    $("batch").textContent = String(frame.steps);
    $("train-loss").textContent = number(frame.trainLoss);
    $("test-loss").textContent = number(frame.testLoss);
    $("play").textContent = frame.running ? "❚❚ pause" : "▶ play";
    $("play").classList.toggle("running", frame.running);
    scheduleDraw();
  }

  // Pictures are drawn at most once per display frame, from the latest frame received:
  // a slow drawing never makes messages (or clicks) queue up behind it.
  let drawPending = false;
  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      const frame = state.frame;
      LN.draw.curve($("curve"), frame.history);
      LN.draw.network($("net"), $("net-units"), frame, (text) => { $("hover").textContent = text; }, changeUnits);
      drawPlanes();
    });
  }

  function points(showTest) {
    const d = state.data;
    const out = [];
    for (let i = 0; i < d.y.length; i++) {
      if (d.test[i] && !showTest) continue;
      out.push({ x: d.x[i][0], y: d.x[i][1], target: d.y[i], test: d.test[i] === 1 });
    }
    return out;
  }

  function drawPlanes() {
    const d = state.data, f = state.frame;
    if (!d || !f) return;
    const range = d.task === "regression" ? [Math.min(...d.y), Math.max(...d.y)] : null;
    const opts = { task: d.task, range, axes: true };
    LN.draw.plane($("heat"), f.heat, d.domain, points(state.showTest), opts);
    LN.draw.plane($("input-space"), f.heat, d.domain, points(state.showTest), { ...opts, radius: 2.4 });
    const fv = f.features;
    const fp = [];
    for (let i = 0; i < d.y.length; i++) {
      if (d.test[i] && !state.showTest) continue;
      fp.push({ x: fv.points[i][0], y: fv.points[i][1], target: d.y[i], test: d.test[i] === 1 });
    }
    LN.draw.plane($("feature-space"), fv.heat, fv.domain, fp, { ...opts, axes: false, radius: 2.4, line: fv.line });
    $("feature-caption").textContent = `φ = A[${f.n.length - 2}] (${fv.k} unit${fv.k === 1 ? "" : "s"}), shown on ${fv.how}` +
      (fv.line ? "; dashed: the head's straight boundary" : "");
    const legend = d.task === "regression" ? `colour: ŷ from ${range[0].toFixed(2)} (orange) to ${range[1].toFixed(2)} (blue)`
      : d.task === "binary" ? `colour: P(${d.classes[1]}) from 0 (orange, class ${d.classes[0]}) to 1 (blue, class ${d.classes[1]})`
        : `colour: the predicted class (${d.classes.join(", ")}), paler where less sure`;
    $("heat-legend").textContent = `${legend}; ${d.nTrain} training and ${d.nTest} test points (test: black ring).`;
  }

  wire();
  const initial = fromHash();
  setControls(initial);
  connect(initial);
})();
