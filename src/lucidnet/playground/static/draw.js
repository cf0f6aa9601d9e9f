// Drawing: heat maps, points, loss curves and the network diagram.
// Pure functions of what the server sends; no state of their own.
"use strict";
window.LN = window.LN || {};

(function () {
  const NEG = [245, 147, 34];   // orange: class 0, negative
  const MID = [232, 234, 235];  // near white: 0.5, zero
  const POS = [8, 119, 189];    // blue: class 1, positive
  const CLASS_COLOURS = [NEG, POS, [46, 160, 67], [142, 68, 173], [214, 39, 40],
    [140, 86, 75], [23, 190, 207], [127, 127, 127]];

  function mix(a, b, t) {
    return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * t));
  }

  // t in [0, 1]: orange (0) → white (0.5) → blue (1)
  function diverging(t) {
    return t < 0.5 ? mix(NEG, MID, t * 2) : mix(MID, POS, (t - 0.5) * 2);
  }

  function classColour(k, confidence) {
    const c = CLASS_COLOURS[k % CLASS_COLOURS.length];
    return mix(MID, c, 0.25 + 0.75 * confidence);
  }

  function bytes(b64) {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // A heat map message ({grid, kind, values[, classes]}) as a grid × grid canvas.
  function heatCanvas(heat, lighten) {
    const m = heat.grid;
    const values = bytes(heat.values);
    const classes = heat.kind === "class" ? bytes(heat.classes) : null;
    const canvas = document.createElement("canvas");
    canvas.width = m;
    canvas.height = m;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(m, m);
    for (let i = 0; i < m * m; i++) {
      const t = values[i] / 255;
      let rgb;
      if (classes) {
        const conf = Math.max(0, (t - 1 / 3) * 1.5);  // the winner's probability above chance
        rgb = classColour(classes[i], conf);
      } else {
        rgb = diverging(t);
      }
      if (lighten) rgb = mix(rgb, [255, 255, 255], lighten);
      img.data.set([rgb[0], rgb[1], rgb[2], 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
    return canvas;
  }

  // The colour of a point with target y (a class index, or a value scaled to [0, 1]).
  function pointColour(task, y, range) {
    if (task === "regression") {
      const t = range[1] > range[0] ? (y - range[0]) / (range[1] - range[0]) : 0.5;
      return diverging(Math.min(1, Math.max(0, t)));
    }
    return CLASS_COLOURS[y % CLASS_COLOURS.length];
  }

  // Draw a heat map over `domain` and points [{x, y, target, test}] on a canvas.
  function plane(canvas, heat, domain, points, opts) {
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    if (heat) {
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(heatCanvas(heat, 0.35), 0, 0, W, H);
    }
    const [x0, x1, y0, y1] = domain;
    const px = (x) => ((x - x0) / (x1 - x0)) * W;
    const py = (y) => ((y1 - y) / (y1 - y0)) * H;
    if (opts && opts.axes) {
      ctx.strokeStyle = "rgba(0,0,0,0.15)";
      ctx.beginPath();
      ctx.moveTo(px(0), 0); ctx.lineTo(px(0), H);
      ctx.moveTo(0, py(0)); ctx.lineTo(W, py(0));
      ctx.stroke();
    }
    if (opts && opts.line) drawLine(ctx, opts.line, px, py, domain);
    const r = (opts && opts.radius) || 3.2;
    for (const p of points) {
      const [cr, cg, cb] = pointColour(opts.task, p.target, opts.range);
      ctx.beginPath();
      ctx.arc(px(p.x), py(p.y), r, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${cr},${cg},${cb})`;
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = p.test ? "#222" : "#fff";
      ctx.stroke();
    }
  }

  // The line a·x + b·y + c = 0 across the plane.
  function drawLine(ctx, [a, b, c], px, py, [x0, x1, y0, y1]) {
    const pts = [];
    if (Math.abs(b) > 1e-12) {
      for (const x of [x0, x1]) pts.push([x, -(a * x + c) / b]);
    } else if (Math.abs(a) > 1e-12) {
      for (const y of [y0, y1]) pts.push([-(b * y + c) / a, y]);
    }
    if (pts.length < 2) return;
    ctx.save();
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(px(pts[0][0]), py(pts[0][1]));
    ctx.lineTo(px(pts[1][0]), py(pts[1][1]));
    ctx.stroke();
    ctx.restore();
  }

  // Training and test loss against minibatches.
  function curve(canvas, history) {
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = "#fafafa";
    ctx.fillRect(0, 0, W, H);
    if (!history.length) return;
    const last = history[history.length - 1][0] || 1;
    let top = 0;
    for (const h of history) top = Math.max(top, h[1] || 0, h[2] || 0);
    top = top || 1;
    for (const [k, colour] of [[1, "#333"], [2, "#0877bd"]]) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let started = false;
      for (const h of history) {
        if (h[k] === null) continue;
        const x = (h[0] / last) * (W - 4) + 2, y = H - 2 - (h[k] / top) * (H - 6);
        if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
      }
      ctx.stroke();
    }
    ctx.fillStyle = "#666";
    ctx.font = "10px sans-serif";
    ctx.fillText(`${top.toFixed(3)}`, 4, 11);
    ctx.fillText("— training", W - 130, 11);
    ctx.fillStyle = "#0877bd";
    ctx.fillText("— test", W - 60, 11);
  }

  const SVG = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  // Paint a heat map message into an existing canvas of its grid size.
  function paint(canvas, heat) {
    if (canvas.width !== heat.grid) { canvas.width = heat.grid; canvas.height = heat.grid; }
    canvas.getContext("2d").drawImage(heatCanvas(heat), 0, 0);
  }

  // The network: one column per layer, a thumbnail of every unit's A[l] over the plane,
  // links with width |W[l]ij| and colour by sign. The links are SVG; the thumbnails are
  // canvases laid over it. Built once per shape; each frame only updates the values.
  // hover(text) is called on mouse-over; onUnits(l, ±1) by the +/− of a hidden layer.
  const BOX = 46, GAP = 14, COL = 120, TOP = 40, LEFT = 60;
  let built = null;

  function build(svg, layer, frame, hover, onUnits) {
    const n = frame.n, L = n.length - 1, rows = Math.max(...n);
    const width = LEFT + L * COL + BOX + 20, height = TOP + rows * (BOX + GAP) + 10;
    for (const e of [svg, layer]) { e.style.width = `${width}px`; e.style.height = `${height}px`; }
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.textContent = "";
    layer.textContent = "";
    const x = (l) => LEFT + l * COL;
    const y = (l, i) => TOP + i * (BOX + GAP) + ((rows - n[l]) * (BOX + GAP)) / 2;
    const links = [], units = [];
    const g = el("g", {}, svg);
    for (let l = 1; l <= L; l++) {
      for (let i = 0; i < n[l]; i++) {
        for (let j = 0; j < n[l - 1]; j++) {
          const line = el("line", { x1: x(l - 1) + BOX, y1: y(l - 1, j) + BOX / 2, x2: x(l),
            y2: y(l, i) + BOX / 2, "stroke-opacity": 0.75, class: "link" }, g);
          const title = el("title", {}, line);
          line.addEventListener("mouseenter", () => hover(title.textContent));
          links.push({ line, title, l, i, j });
        }
      }
    }
    for (let l = 0; l <= L; l++) {
      const label = l === 0 ? "inputs A[0]" : l === L ? `output A[${L}]` : `A[${l}] ${frame.activations[l - 1]}`;
      el("text", { x: x(l) + BOX / 2, y: 14, "text-anchor": "middle", class: "col-label" }, svg).textContent = label;
      if (l > 0 && l < L) {
        for (const [delta, sign, dx] of [[1, "+", BOX / 2 + 4], [-1, "−", BOX / 2 - 14]]) {
          const b = el("text", { x: x(l) + dx, y: 31, class: "unit-btn", id: `units-${delta > 0 ? "plus" : "minus"}-${l}` }, svg);
          b.textContent = sign;
          el("title", {}, b).textContent = `${delta > 0 ? "add a unit to" : "remove a unit from"} layer ${l}`;
          b.addEventListener("click", () => onUnits(l, delta));
        }
      }
      for (let i = 0; i < n[l]; i++) {
        const c = document.createElement("canvas");
        c.className = "unit";
        c.style.left = `${x(l)}px`;
        c.style.top = `${y(l, i)}px`;
        c.style.width = c.style.height = `${BOX}px`;
        c.addEventListener("mouseenter", () => hover(c.title));
        layer.appendChild(c);
        units.push({ canvas: c, l, i });
        if (l === 0) {
          el("text", { x: x(l) - 6, y: y(l, i) + BOX / 2 + 4, "text-anchor": "end", class: "in-label" }, svg).textContent = frame.inputs[i];
        }
      }
    }
    return { links, units };
  }

  function network(svg, layer, frame, hover, onUnits) {
    const key = JSON.stringify([frame.n, frame.activations, frame.inputs]);
    if (!built || built.key !== key || !svg.firstChild) built = { key, ...build(svg, layer, frame, hover, onUnits) };
    const L = frame.n.length - 1;
    let wMax = 0;
    for (const l in frame.W) for (const row of frame.W[l]) for (const v of row) wMax = Math.max(wMax, Math.abs(v));
    for (const { line, title, l, i, j } of built.links) {
      const w = frame.W[String(l)][i][j];
      line.setAttribute("stroke", w >= 0 ? "#0877bd" : "#f59322");
      line.setAttribute("stroke-width", Math.max(0.4, (6 * Math.abs(w)) / (wMax || 1)).toFixed(2));
      title.textContent = `W[${l}]${i + 1},${j + 1} = ${w.toFixed(4)}`;
    }
    const thumbs = {};
    for (const u of frame.units.list) thumbs[`${u.l}:${u.i}`] = u;
    for (const { canvas, l, i } of built.units) {
      const u = thumbs[`${l}:${i}`];
      if (u) paint(canvas, { grid: frame.units.grid, kind: "value", values: u.values });
      const b = l > 0 ? frame.b[String(l)][i].toFixed(4) : "";
      if (l === 0) canvas.title = `input ${frame.inputs[i]} over the plane`;
      else if (l === L) canvas.title = `output A[${L}]${i + 1} over the plane; b[${L}]${i + 1} = ${b}`;
      else canvas.title = `A[${l}]${i + 1} = ${frame.activations[l - 1]}(Z[${l}]${i + 1}) over the plane (scale ±${u ? u.scale : "?"}); b[${l}]${i + 1} = ${b}`;
    }
  }

  window.LN.draw = { plane, curve, network, heatCanvas, diverging, bytes };
})();
