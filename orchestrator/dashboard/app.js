// app.js — the dashboard's page: one event stream (/api/events) brings the status and the new
// metrics rows; this script draws them. Every name from the workspace is put into the page as
// text (textContent, never HTML), with control characters made visible. The server side is
// orchestrator/dashboard.c; charts are uPlot (vendor/, MIT).
"use strict";

const token = document.querySelector('meta[name="dashboard-token"]').content;
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

let status = null;
let clockSkew = 0; // browser clock minus the daemon's
const metrics = { rows: 0, epoch: -1, step: [], loss: [], val_loss: [], lr: [], tokens_per_s: [], latest: null };
const charts = {};

// ---- text helpers ----

// Text from the workspace goes into the page as text nodes only. Control characters (a file
// name may hold them) are shown as escapes (\x01, \n) in a span of their own; multi-line
// texts (a .error file) keep their newlines and tabs.
function setText(node, text, multiline) {
  node.replaceChildren();
  if (text === null || text === undefined) return node;
  const parts = String(text).split(multiline ? /([\u0000-\u0008\u000b-\u001f\u007f])/ : /([\u0000-\u001f\u007f])/);
  parts.forEach((part, k) => {
    if (k % 2 === 0) {
      if (part) node.append(document.createTextNode(part));
      return;
    }
    const code = part.charCodeAt(0);
    const names = { 9: "\\t", 10: "\\n", 13: "\\r" };
    const ctl = document.createElement("span");
    ctl.className = "ctl";
    ctl.textContent = names[code] || "\\x" + code.toString(16).padStart(2, "0");
    node.append(ctl);
  });
  return node;
}

// The same, as one string (for attributes and SVG titles).
function shown(text) {
  if (text === null || text === undefined) return "";
  return String(text).replace(/[\u0000-\u001f\u007f]/g, (c) => "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0"));
}

function el(tag, cls, text, multiline) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) setText(node, text, multiline);
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const k in attrs) node.setAttribute(k, attrs[k]);
  if (text !== undefined) node.textContent = shown(text);
  return node;
}

function compact(v) {
  if (v === null || v === undefined) return "";
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(a >= 1e10 ? 0 : 1) + "G";
  if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
  if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
  if (a !== 0 && a < 1e-2) return v.toExponential(0);
  return String(+v.toPrecision(3));
}

function busy(ms) {
  if (ms === null || ms === undefined) return "–";
  return ms < 1 ? Math.round(ms * 1000) + " µs" : ms < 100 ? ms.toFixed(1) + " ms" : Math.round(ms) + " ms";
}

function duration(ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return Math.round(ms) + " ms";
  const s = ms / 1000;
  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + " s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + " min " + Math.floor(s % 60) + " s";
  return Math.floor(m / 60) + " h " + (m % 60) + " min";
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return (u ? n.toFixed(1) : n) + " " + units[u];
}

function num(v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (Math.abs(v) >= 1e4) return Math.round(v).toLocaleString("en");
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return v.toFixed(digits === undefined ? 3 : digits);
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString("en-GB");
}

function daemonNow() { return Date.now() - clockSkew; }

// Elements whose text counts time: data-since (elapsed) or data-until (time left).
function ticking(node, kind, ms) {
  node.dataset[kind] = String(ms);
  tickOne(node);
  return node;
}

function tickOne(node) {
  const now = daemonNow();
  if (node.dataset.since) node.textContent = duration(now - Number(node.dataset.since));
  else if (node.dataset.until) {
    const left = Number(node.dataset.until) - now;
    node.textContent = left > 0 ? "in " + duration(left) : "now";
  }
}

setInterval(() => document.querySelectorAll("[data-since],[data-until]").forEach(tickOne), 1000);

// ---- stages ----

const STATES = ["queued", "running", "retrying", "done", "failed"];

function renderStages() {
  const box = $("stages");
  box.replaceChildren();
  for (const stage of status.stages) {
    const row = el("div", "stage");
    const head = el("div", "stage-head");
    head.append(el("span", "stage-name", stage.name), el("span", "muted", stage.program));
    const chips = el("div", "chips");
    for (const s of STATES) {
      const chip = el("span", "chip " + s + (stage[s] ? "" : " zero"));
      chip.append(el("b", "", String(stage[s])), el("span", "", " " + s));
      chips.append(chip);
    }
    head.append(chips);
    row.append(head);
    const lines = el("div", "stage-lines");
    for (const run of status.running.filter((r) => r.stage === stage.name)) {
      const line = el("div", "line running");
      line.append(el("span", "dot"), el("span", "", "run " + run.run + " · pid " + run.pid + " · "));
      line.append(ticking(el("span", "elapsed"), "since", run.start_ms));
      const input = el("span", "path", " " + (run.first_input || "(the folder)") +
        (run.inputs > 1 ? "  (+" + (run.inputs - 1) + " more)" : ""));
      line.append(input, logLink(run.run));
      lines.append(line);
    }
    for (const item of status.retrying.filter((i) => i.stage === stage.name)) {
      const line = el("div", "line retrying");
      line.append(el("span", "dot"), el("span", "path", item.path));
      line.append(el("span", "muted", " · attempt " + item.attempts + " of " + item.max_attempts +
        " failed" + (item.last_error ? " (" + item.last_error + ")" : "") + " · next attempt "));
      line.append(ticking(el("span", "until"), "until", item.next_attempt_ms));
      line.append(el("span", "muted", " (at " + clock(item.next_attempt_ms) + ")"));
      if (item.run) line.append(logLink(item.run));
      lines.append(line);
    }
    const queued = status.queued.filter((i) => i.stage === stage.name);
    if (queued.length) {
      const line = el("div", "line queued");
      line.append(el("span", "dot"), el("span", "muted", "next: "));
      queued.slice(0, 3).forEach((i, k) => line.append(el("span", "path", (k ? ", " : "") + i.path)));
      if (stage.queued > 3) line.append(el("span", "muted", "  (+" + (stage.queued - 3) + " more)"));
      lines.append(line);
    }
    row.append(lines);
    box.append(row);
  }
}

function logLink(run) {
  const a = el("a", "log", "log");
  a.href = "/log/" + encodeURIComponent(run);
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.title = "the output of run " + run;
  return a;
}

// ---- failures and retry ----

function renderFailed() {
  const box = $("failed");
  box.replaceChildren();
  $("failed-sub").textContent = status.failed.length ? "latest first · retry moves the input back and queues it" : "";
  if (!status.failed.length) {
    box.append(el("div", "empty", "Nothing failed."));
    return;
  }
  const failed = status.failed.slice().sort((a, b) => b.updated_ms - a.updated_ms || b.item - a.item);
  for (const item of failed) {
    const row = el("div", "failure");
    const head = el("div", "failure-head");
    head.append(el("span", "badge", item.stage), el("span", "path", item.path));
    head.append(el("span", "muted", " · " + item.attempts + " attempt" + (item.attempts === 1 ? "" : "s") +
      " · " + clock(item.updated_ms)));
    const actions = el("span", "actions");
    if (item.run) actions.append(logLink(item.run));
    const button = el("button", "retry", "retry");
    button.type = "button";
    button.addEventListener("click", () => retry(item.item, button));
    actions.append(button);
    head.append(actions);
    row.append(head);
    row.append(el("div", "reason", item.last_error || "(no reason recorded)", true));
    if (item.error) {
      const more = el("details");
      more.append(el("summary", "", (item.moved_to || "") + ".error"), el("pre", "", item.error, true));
      row.append(more);
    }
    box.append(row);
  }
}

async function retry(item, button) {
  button.disabled = true;
  button.textContent = "retrying…";
  try {
    const reply = await fetch("/api/retry?item=" + encodeURIComponent(item), {
      method: "POST",
      headers: { "X-Dashboard-Token": token },
    });
    const body = await reply.json();
    button.textContent = body.ok ? "queued" : "refused";
    button.title = body.ok ? "queued again" : body.error;
    document.body.dataset.lastRetry = body.ok ? "queued " + item : "refused " + item;
  } catch (e) {
    button.textContent = "no answer";
    document.body.dataset.lastRetry = "no answer " + item;
  }
}

// ---- runs, checkpoints, crawl ----

function renderRuns() {
  const box = $("runs");
  box.replaceChildren();
  for (const run of status.last_runs) {
    const li = el("li", "run " + (run.outcome === "ok" ? "ok" : "bad"));
    li.append(el("span", "badge", run.stage), el("span", "outcome", run.outcome));
    li.append(el("span", "muted", " " + duration(run.duration_ms) + " · exit " + (run.exit === null ? "–" : run.exit) + " · "));
    li.append(el("span", "path", (run.first_input || "(the folder)") +
      (run.inputs > 1 ? "  (+" + (run.inputs - 1) + ")" : "")));
    li.append(logLink(run.run));
    box.append(li);
  }
  if (!status.last_runs.length) box.append(el("li", "empty", "No run yet."));
}

function renderCheckpoints() {
  const box = $("checkpoints");
  box.replaceChildren();
  for (const c of status.checkpoints.slice(0, 8)) {
    const li = el("li");
    li.append(el("span", "path", c.name), el("span", "muted", " step " + c.step + " · " + bytes(c.bytes) +
      " · " + clock(c.mtime_ms) + (c.state ? "" : " · no state file")));
    box.append(li);
  }
  if (status.checkpoints.length > 8)
    box.append(el("li", "muted", "… and " + (status.checkpoints.length - 8) + " older" +
      (status.checkpoints.length >= 20 ? " (the newest 20 are listed)" : "")));
  if (!status.checkpoints.length) box.append(el("li", "empty", "No checkpoint in " + status.models + "/ yet."));
}

function figure(box, label, value, cls) {
  const f = el("div", "figure " + (cls || ""));
  f.append(el("div", "value", value), el("div", "label", label));
  box.append(f);
}

function renderCrawl() {
  const c = status.crawl;
  const box = $("crawl");
  box.replaceChildren();
  setText($("crawl-sub"), c.stage ? "stage " + c.stage : "no crawler stage");
  figure(box, "fetched", c.state_read ? String(c.fetched) : "–", "good");
  figure(box, "failed", c.state_read ? String(c.failed) : "–", c.failed ? "bad" : "");
  figure(box, "queued", c.state_read ? String(c.queued) : "–");
  figure(box, "pages in " + c.folder + "/", String(c.pages_in_folder));
  const crawling = c.stage && status.running.some((r) => r.stage === c.stage);
  const note = el("div", "note muted", (c.state_read
    ? "crawler state as of " + clock(c.as_of_ms) + (c.skipped ? " · " + c.skipped + " skipped" : "")
    : "no crawl state yet") + (crawling ? " · crawling now: the crawler holds its state until it ends" : ""));
  box.append(note);
}

function renderStatus() {
  setText($("where"), status.workspace + " · pid " + status.pid);
  renderStages();
  renderFailed();
  renderRuns();
  renderCheckpoints();
  renderCrawl();
  const train = status.stages.find((s) => s.name === status.train_stage);
  const running = train && status.running.some((r) => r.stage === train.name);
  setText($("train-sub"), train ? "· stage " + train.name + (running ? " running" : "") : "");
}

// ---- charts ----

function chartOptions(title, series, height, width) {
  const axis = { stroke: "#8b93a7", grid: { stroke: "#262c3a", width: 1 }, ticks: { stroke: "#262c3a" } };
  return {
    title, width, height,
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    scales: { x: { time: false } },
    axes: [Object.assign({}, axis), Object.assign({ size: 52, values: (u, vals) => vals.map(compact) }, axis)],
    series: [{ label: "step" }].concat(series),
  };
}

function makeCharts() {
  const wide = $("loss-chart").clientWidth || 700;
  const half = $("lr-chart").clientWidth || 340;
  charts.loss = new uPlot(chartOptions("loss", [
    { label: "train", stroke: "#5aa9ff", width: 1.5, value: (u, v) => num(v) },
    { label: "validation", stroke: "#ffb547", width: 2, spanGaps: true, points: { show: true, size: 5 },
      value: (u, v) => num(v) },
  ], 260, wide), [[], [], []], $("loss-chart"));
  charts.lr = new uPlot(chartOptions("learning rate", [
    { label: "lr", stroke: "#b58cff", width: 1.5, value: (u, v) => num(v) },
  ], 150, half), [[], []], $("lr-chart"));
  charts.tps = new uPlot(chartOptions("tokens / s", [
    { label: "tokens/s", stroke: "#43d19e", width: 1.5, value: (u, v) => num(v, 0) },
  ], 150, half), [[], []], $("tps-chart"));
  window.addEventListener("resize", () => {
    charts.loss.setSize({ width: $("loss-chart").clientWidth, height: 260 });
    charts.lr.setSize({ width: $("lr-chart").clientWidth, height: 150 });
    charts.tps.setSize({ width: $("tps-chart").clientWidth, height: 150 });
  });
}

function takeMetrics(m) {
  const columns = ["step", "loss", "val_loss", "lr", "tokens_per_s"];
  if (m.since === 0 || m.epoch !== metrics.epoch) {
    for (const c of columns) metrics[c] = [];
  } else if (m.since !== metrics.step.length) {
    fetch("/api/metrics").then((r) => r.json()).then((all) => { all.since = 0; takeMetrics(all); });
    return;
  }
  for (const c of columns) metrics[c] = metrics[c].concat(m[c]);
  metrics.epoch = m.epoch;
  metrics.latest = m.latest;
  scheduleDraw();
}

// A trainer logs every step: the charts are redrawn at most once a second, not per event.
let drawPending = false, lastDraw = 0;
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  setTimeout(() => requestAnimationFrame(() => {
    drawPending = false;
    lastDraw = Date.now();
    drawMetrics();
  }), Math.max(0, 1000 - (Date.now() - lastDraw)));
}

function drawMetrics() {
  if (!charts.loss) return;
  charts.loss.setData([metrics.step, metrics.loss, metrics.val_loss]);
  charts.lr.setData([metrics.step, metrics.lr]);
  charts.tps.setData([metrics.step, metrics.tokens_per_s]);
  $("loss-chart").dataset.points = String(metrics.step.length);
  const box = $("train-figures");
  box.replaceChildren();
  const l = metrics.latest;
  if (!l) {
    box.append(el("div", "empty", "No metrics yet (" + (status ? status.models : "models") + "/metrics.jsonl)."));
    renderSpheres(null);
    return;
  }
  figure(box, "step", String(l.step));
  figure(box, "loss", num(l.loss), "blue");
  figure(box, "val loss" + (l.val_step !== null ? " @" + l.val_step : ""), num(l.val_loss), "orange");
  figure(box, "learning rate", num(l.lr, 5), "purple");
  figure(box, "tokens / s", num(l.tokens_per_s, 0), "green");
  figure(box, "grad norm", num(l.grad_norm));
  if (l.rss_kib) figure(box, "memory", bytes(l.rss_kib * 1024));
  renderSpheres(l);
}

// ---- the ring of spheres ----

function heat(fraction) {
  // from deep blue (idle) through teal to warm amber (the busiest sphere of the step)
  const stops = [[32, 52, 94], [36, 140, 150], [120, 200, 120], [255, 190, 80]];
  const x = Math.max(0, Math.min(1, fraction)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const t = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * t));
  return "rgb(" + c.join(",") + ")";
}

const WORKER_COLOURS = ["#5aa9ff", "#ffb547", "#43d19e", "#ff6b8b", "#b58cff", "#f5e05a", "#4fd6e8", "#ff8c42"];

function renderSpheres(latest) {
  const ring = $("ring");
  ring.replaceChildren();
  const cx = 330, cy = 258, radius = 150;
  const spheres = latest && latest.spheres ? latest.spheres : [];
  const busiest = Math.max(1e-9, ...spheres.map((s) => s.busy_ms || 0));
  $("spheres-sub").textContent = latest ? "· step " + latest.step : "· waiting for a training step";
  const count = 12;
  for (let s = 0; s < count; s++) {
    const angle = -Math.PI / 2 + (2 * Math.PI * s) / count;
    const x = cx + radius * Math.cos(angle), y = cy + radius * Math.sin(angle);
    const data = spheres.find((d) => d.sphere === s);
    const busy = data ? (data.busy_ms || 0) / busiest : 0;
    ring.append(svg("line", { x1: cx, y1: cy, x2: x, y2: y, class: "spoke", "stroke-opacity": 0.15 + 0.6 * busy }));
  }
  const zero = svg("g", { class: "node-zero" });
  zero.append(svg("circle", { cx, cy, r: 70 }));
  zero.append(svg("text", { x: cx, y: cy - 10, class: "nz-title" }, "Node Zero"));
  zero.append(svg("text", { x: cx, y: cy + 16, class: "nz-sub" }, latest ? "step " + latest.step : "idle"));
  zero.append(svg("text", { x: cx, y: cy + 38, class: "nz-sub" }, latest ? "loss " + num(latest.loss) : ""));
  ring.append(zero);
  for (let s = 0; s < count; s++) {
    const angle = -Math.PI / 2 + (2 * Math.PI * s) / count;
    const x = cx + radius * Math.cos(angle), y = cy + radius * Math.sin(angle);
    const data = spheres.find((d) => d.sphere === s);
    const g = svg("g", { class: "sphere" + (data ? "" : " idle"), "data-sphere": s });
    const worker = data && data.worker !== null ? data.worker : -1;
    g.append(svg("circle", {
      cx: x, cy: y, r: 36,
      fill: data ? heat((data.busy_ms || 0) / busiest) : "#1b2130",
      stroke: worker >= 0 ? WORKER_COLOURS[worker % WORKER_COLOURS.length] : "#3a4255",
      "stroke-width": 3,
    }));
    g.append(svg("text", { x, y: y - 2, class: "sphere-id" }, String(s)));
    g.append(svg("text", { x, y: y + 19, class: "sphere-worker" }, worker >= 0 ? "w" + worker : "–"));
    // the figures outside the ring, on the side away from the centre
    const lx = cx + (radius + 44) * Math.cos(angle), ly = cy + (radius + 58) * Math.sin(angle);
    const anchor = Math.abs(Math.cos(angle)) < 0.3 ? "middle" : Math.cos(angle) > 0 ? "start" : "end";
    const label = svg("text", { x: lx, y: ly - 4, class: "sphere-label", "text-anchor": anchor });
    if (data) {
      label.append(svg("tspan", { x: lx, dy: 0 }, "loss " + num(data.loss)));
      label.append(svg("tspan", { x: lx, dy: 18, class: "dim" }, busy(data.busy_ms) + " · " + data.tokens + " tok"));
    } else {
      label.append(svg("tspan", { x: lx, dy: 0, class: "dim" }, "no work"));
    }
    g.append(label);
    const tip = svg("title", {}, data
      ? "sphere " + s + ": " + data.tokens + " tokens, loss " + num(data.loss) + ", busy " + num(data.busy_ms, 2) +
        " ms, worker " + worker
      : "sphere " + s + ": no sequence in this step");
    g.append(tip);
    ring.append(g);
  }
  ring.dataset.spheres = String(spheres.length);
  renderSphereTable(spheres, busiest);
}

// The same figures as a table: per worker, which spheres it ran and for how long.
function renderSphereTable(spheres, busiest) {
  const table = $("sphere-table");
  table.replaceChildren();
  if (!spheres.length) return;
  const head = el("tr");
  for (const h of ["sphere", "worker", "tokens", "loss", "busy", ""]) head.append(el("th", "", h));
  table.append(head);
  for (const d of spheres) {
    const tr = el("tr");
    tr.append(el("td", "", String(d.sphere)), el("td", "", d.worker === null ? "–" : "w" + d.worker),
      el("td", "", String(d.tokens)), el("td", "", num(d.loss)), el("td", "", busy(d.busy_ms)));
    const barCell = el("td", "bar-cell");
    const bar = el("span", "bar");
    bar.style.width = Math.round(100 * (d.busy_ms || 0) / busiest) + "%";
    bar.style.background = heat((d.busy_ms || 0) / busiest);
    barCell.append(bar);
    tr.append(barCell);
    table.append(tr);
  }
}

// ---- the stream ----

function connect() {
  const live = $("live");
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => { live.textContent = "live"; live.className = "live on"; });
  source.addEventListener("error", () => { live.textContent = "reconnecting"; live.className = "live off"; });
  source.addEventListener("status", (e) => {
    status = JSON.parse(e.data);
    clockSkew = Date.now() - status.now_ms;
    renderStatus();
    if (!metrics.latest) drawMetrics();
  });
  source.addEventListener("metrics", (e) => takeMetrics(JSON.parse(e.data)));
}

makeCharts();
renderSpheres(null);
connect();
