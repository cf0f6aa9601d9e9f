// The panels beyond the classic playground: trace, gradient check, collapse, download,
// the CSV upload, and the error banner.
"use strict";
window.LN = window.LN || {};

(function () {
  const $ = (id) => document.getElementById(id);
  const MAX_UPLOAD = 2000000;
  let errorTimer = null;

  function showError(message) {
    $("error-text").textContent = message;
    $("error").hidden = false;
    $("error").classList.remove("info");
    if ($("csv-status").textContent.startsWith("reading")) $("csv-status").textContent = "";
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { $("error").hidden = true; }, 15000);
  }

  function note(message) {
    showError(message);
    $("error").classList.add("info");
  }

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
  }

  function table(rows, header) {
    const t = document.createElement("table");
    if (header) {
      const tr = document.createElement("tr");
      for (const h of header) { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); }
      t.appendChild(tr);
    }
    for (const r of rows) {
      const tr = document.createElement("tr");
      for (const v of r) cell(tr, v);
      t.appendChild(tr);
    }
    return t;
  }

  function paragraph(text, cls) {
    const p = document.createElement("p");
    p.textContent = text;
    if (cls) p.className = cls;
    return p;
  }

  function showTrace(msg) {
    const out = $("trace-out");
    out.textContent = "";
    out.appendChild(paragraph(msg.header));
    out.appendChild(paragraph("forward pass", "sub"));
    out.appendChild(table(msg.forward, ["formula", "shapes", "values"]));
    out.appendChild(paragraph(msg.cost));
    out.appendChild(paragraph("backward pass (d means ∂J/∂•)", "sub"));
    out.appendChild(table(msg.backward, ["formula", "shapes", "values"]));
  }

  function showGradcheck(msg) {
    const out = $("gradcheck-out");
    out.textContent = "";
    out.appendChild(paragraph(`backprop vs centred finite differences (float64, ε = 1e-6) on ${msg.which}`));
    out.appendChild(table(msg.rows.map(([name, err, ok]) => [name, err.toExponential(2), ok ? "ok" : "MISMATCH"]),
      ["gradient", "max relative error", ""]));
    out.appendChild(paragraph(`${msg.passed ? "passed" : "FAILED"}: worst ${msg.worst.toExponential(2)} (tolerance ${msg.tolerance.toExponential(0)})`,
      msg.passed ? "ok" : "bad"));
  }

  function showCollapse(msg) {
    const out = $("collapse-out");
    out.textContent = "";
    if (!msg.ok) { out.appendChild(paragraph(msg.message, "bad")); return; }
    out.appendChild(paragraph(msg.formula + ",  b = the matching sum of the biases"));
    const rows = msg.W.map((row, k) => [`output ${k + 1}`, ...row.map((v) => v.toFixed(4)), msg.b[k].toFixed(4)]);
    out.appendChild(table(rows, ["", ...msg.inputs.map((i) => `W·${i}`), "b"]));
    out.appendChild(paragraph(msg.message, "ok"));
  }

  function download(msg) {
    const raw = LN.draw.bytes(msg.data);
    const url = URL.createObjectURL(new Blob([raw], { type: "application/octet-stream" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = msg.name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    $("download-note").textContent = `${msg.name}: ${msg.note}`;
  }

  function showColumns(msg) {
    for (const [id, list] of [["csv-x1", msg.numeric], ["csv-x2", msg.numeric], ["csv-target", msg.all]]) {
      const s = $(id);
      s.textContent = "";
      for (const name of list) {
        const o = document.createElement("option");
        o.value = name; o.textContent = name;
        s.appendChild(o);
      }
    }
    $("csv-x2").value = msg.numeric[1];
    const rest = msg.all.filter((c) => c !== msg.numeric[0] && c !== msg.numeric[1]);
    $("csv-target").value = rest.length ? rest[rest.length - 1] : msg.all[msg.all.length - 1];
    $("csv-pick").hidden = false;
    $("csv-status").textContent = `${msg.name}: ${msg.all.length} columns, ${msg.numeric.length} numeric. Choose x1, x2 and the target.`;
  }

  function receive(msg) {
    switch (msg.type) {
      case "trace": showTrace(msg); break;
      case "gradcheck": showGradcheck(msg); break;
      case "collapse": showCollapse(msg); break;
      case "model": download(msg); break;
      case "csv-columns": showColumns(msg); break;
      default: break;
    }
  }

  function wire() {
    $("error-close").addEventListener("click", () => { $("error").hidden = true; });
    for (const id of ["trace", "gradcheck", "collapse", "download"]) {
      $(id).addEventListener("click", () => LN.send({ type: id }));
    }
    $("csv-file").addEventListener("change", (e) => {
      const file = e.target.files[0];
      if (!file) return;
      if (file.size > MAX_UPLOAD) {
        showError(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the playground takes CSV files up to 2 MB (take a sample of the rows).`);
        return;
      }
      const reader = new FileReader();
      reader.onload = () => LN.send({ type: "csv", name: file.name, text: String(reader.result) });
      reader.onerror = () => showError(`${file.name} could not be read.`);
      reader.readAsText(file);
      $("csv-pick").hidden = true;
      $("csv-status").textContent = `reading ${file.name}…`;
    });
    $("csv-use").addEventListener("click", () => LN.send({
      type: "use-csv", x1: $("csv-x1").value, x2: $("csv-x2").value,
      target: $("csv-target").value, task: $("csv-task").value,
    }));
  }

  LN.panels = { showError, note, receive, wire };
})();
