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

// Control characters (a file name may hold them) shown as the Unicode control pictures.
function shown(text) {
  if (text === null || text === undefined) return "";
  return String(text).replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === "\u007f" ? "\u2421" : String.fromCharCode(0x2400 + c.charCodeAt(0)));
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = shown(text);
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const k in attrs) node.setAttribute(k, attrs[k]);
  if (text !== undefined) node.textContent = shown(text);
  return node;
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
      if (item.run) line.append(logLink(item.run));
      lines.append(line);
    }
    const queued = status.queued.filter((i) => i.stage === stage.name);
    if (queued.length) {
      const line = el("div", "line queued");
      line.append(el("span", "dot"), el("span", "muted", "next: "));
      line.append(el("span", "path", queued.slice(0, 3).map((i) => shown(i.path)).join(", ")));
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
  for (const item of status.failed) {
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
    row.append(el("div", "reason", item.last_error || "(no reason recorded)"));
    if (item.error) {
      const more = el("details");
      more.append(el("summary", "", shown(item.moved_to || "") + ".error"), el("pre", "", item.error));
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
  } catch (e) {
    button.textContent = "no answer";
  }
}

// ---- runs, checkpoints, crawl ----

function renderRuns() {
  const box = $("runs");
  box.replaceChildren();
  for (const run of status.last_runs) {
    const li = el("li", "run " + (run.outcome === "ok" ? "ok" : "bad"));
    li.append(el("span", "badge", run.stage), el("span", "outcome", run.outcome));
    li.append(el("span", "muted", " " + duration(run.duration_ms) + " · exit " + run.exit + " · "));
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
  for (const c of status.checkpoints) {
    const li = el("li");
    li.append(el("span", "path", c.name), el("span", "muted", " step " + c.step + " · " + bytes(c.bytes) +
      " · " + clock(c.mtime_ms) + (c.state ? "" : " · no state file")));
    box.append(li);
  }
  if (!status.checkpoints.length) box.append(el("li", "empty", "No checkpoint in " + shown(status.models) + "/ yet."));
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
  $("crawl-sub").textContent = c.stage ? "stage " + shown(c.stage) : "no crawler stage";
  figure(box, "fetched", c.state_read ? String(c.fetched) : "–", "good");
  figure(box, "failed", c.state_read ? String(c.failed) : "–", c.failed ? "bad" : "");
  figure(box, "queued", c.state_read ? String(c.queued) : "–");
  figure(box, "pages in " + shown(c.folder) + "/", String(c.pages_in_folder));
  const note = el("div", "note muted", c.state_read
    ? "crawler state as of " + clock(c.as_of_ms) + (c.skipped ? " · " + c.skipped + " skipped" : "") +
      " (a running crawler holds it locked)"
    : "no crawl state yet");
  box.append(note);
}

function renderStatus() {
  $("where").textContent = shown(status.workspace) + " · pid " + status.pid;
  renderStages();
  renderFailed();
  renderRuns();
  renderCheckpoints();
  renderCrawl();
  const train = status.stages.find((s) => s.name === status.train_stage);
  const running = train && status.running.some((r) => r.stage === train.name);
  $("train-sub").textContent = train ? (running ? "· stage " + shown(train.name) + " running" : "· stage " + shown(train.name)) : "";
}

// ---- charts ----

function chartOptions(title, series, height, width) {
  const axis = { stroke: "#8b93a7", grid: { stroke: "#262c3a", width: 1 }, ticks: { stroke: "#262c3a" } };
  return {
    title, width, height,
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    scales: { x: { time: false } },
    axes: [Object.assign({ label: "step" }, axis), Object.assign({ size: 56 }, axis)],
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
  drawMetrics();
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
    box.append(el("div", "empty", "No metrics yet (" + shown(status ? status.models : "models") + "/metrics.jsonl)."));
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
  const cx = 300, cy = 258, radius = 168;
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
  zero.append(svg("circle", { cx, cy, r: 58 }));
  zero.append(svg("text", { x: cx, y: cy - 8, class: "nz-title" }, "Node Zero"));
  zero.append(svg("text", { x: cx, y: cy + 12, class: "nz-sub" }, latest ? "step " + latest.step : "idle"));
  zero.append(svg("text", { x: cx, y: cy + 30, class: "nz-sub" }, latest ? "loss " + num(latest.loss) : ""));
  ring.append(zero);
  for (let s = 0; s < count; s++) {
    const angle = -Math.PI / 2 + (2 * Math.PI * s) / count;
    const x = cx + radius * Math.cos(angle), y = cy + radius * Math.sin(angle);
    const data = spheres.find((d) => d.sphere === s);
    const g = svg("g", { class: "sphere" + (data ? "" : " idle"), "data-sphere": s });
    const worker = data && data.worker !== null ? data.worker : -1;
    g.append(svg("circle", {
      cx: x, cy: y, r: 31,
      fill: data ? heat((data.busy_ms || 0) / busiest) : "#1b2130",
      stroke: worker >= 0 ? WORKER_COLOURS[worker % WORKER_COLOURS.length] : "#3a4255",
      "stroke-width": 3,
    }));
    g.append(svg("text", { x, y: y - 3, class: "sphere-id" }, String(s)));
    g.append(svg("text", { x, y: y + 13, class: "sphere-worker" }, worker >= 0 ? "w" + worker : "–"));
    // the figures outside the ring, on the side away from the centre
    const lx = cx + (radius + 48) * Math.cos(angle), ly = cy + (radius + 46) * Math.sin(angle);
    const anchor = Math.abs(Math.cos(angle)) < 0.3 ? "middle" : Math.cos(angle) > 0 ? "start" : "end";
    const label = svg("text", { x: lx, y: ly - 6, class: "sphere-label", "text-anchor": anchor });
    if (data) {
      label.append(svg("tspan", { x: lx, dy: 0 }, "loss " + num(data.loss)));
      label.append(svg("tspan", { x: lx, dy: 14, class: "dim" }, num(data.busy_ms, 1) + " ms · " + data.tokens + " tok"));
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
