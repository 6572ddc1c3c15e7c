// browser.js URL SCREENSHOT.png PROFILE_DIR — loads the dashboard in headless Chromium (Debian's
// /usr/bin/chromium, driven over its DevTools protocol with node's built-ins only: run with
// node --experimental-websocket), waits until the loss chart has points and the twelve spheres
// are drawn, collects every console error, exception and failed load, saves a full-page
// screenshot and prints one JSON line with what it saw. Used by test_dashboard.sh.
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const [url, shotPath, profile] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const LIMIT_MS = Number(process.env.BROWSER_LIMIT_MS || 90000);
const started = Date.now();

function fail(why) {
  console.log(JSON.stringify({ ok: false, why }));
  process.exit(1);
}
// Chromium never outlives this script, whatever way it ends.
process.on("exit", () => { try { chrome.kill("SIGKILL"); } catch (e) { /* already gone */ } });
process.on("SIGTERM", () => process.exit(1));
process.on("SIGINT", () => process.exit(1));

const chrome = spawn(CHROMIUM, [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
  "--user-data-dir=" + profile, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
  "--window-size=1440,1000", "about:blank",
], { stdio: ["ignore", "ignore", "pipe"] });
let chromeLog = "";
chrome.stderr.on("data", (d) => { chromeLog = (chromeLog + d).slice(-4000); });
chrome.on("exit", (code) => { if (!done) fail("chromium exited with " + code + ": " + chromeLog.slice(-500)); });
let done = false;
const timer = setTimeout(() => fail("timed out after " + LIMIT_MS + " ms in phase '" + phase + "'; last state: " + JSON.stringify(lastState)), LIMIT_MS);
let lastState = null;
let phase = "starting chromium";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function devtoolsPort() {
  const file = path.join(profile, "DevToolsActivePort");
  for (;;) {
    try {
      const port = fs.readFileSync(file, "utf8").split("\n")[0];
      if (port) return port;
    } catch (e) { /* not yet */ }
    await sleep(100);
  }
}

async function main() {
  const port = await devtoolsPort();
  phase = "connecting";
  let targets = [];
  while (!targets.some((t) => t.type === "page")) {
    targets = await (await fetch("http://127.0.0.1:" + port + "/json/list")).json();
    await sleep(100);
  }
  const page = targets.find((t) => t.type === "page");
  const ws = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  let nextId = 1;
  const waiting = new Map();
  const errors = [];
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.id && waiting.has(msg.id)) {
      const { resolve, reject } = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error)));
      else resolve(msg.result);
      return;
    }
    if (msg.method === "Runtime.consoleAPICalled" && (msg.params.type === "error" || msg.params.type === "assert"))
      errors.push("console." + msg.params.type + ": " + msg.params.args.map((a) => a.value || a.description).join(" "));
    if (msg.method === "Runtime.exceptionThrown")
      errors.push("exception: " + (msg.params.exceptionDetails.exception?.description || msg.params.exceptionDetails.text));
    if (msg.method === "Log.entryAdded" && msg.params.entry.level === "error")
      errors.push("log: " + msg.params.entry.text + (msg.params.entry.url ? " (" + msg.params.entry.url + ")" : ""));
  };
  const send = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params: params || {} }));
  });
  const evaluate = async (expression) => (await send("Runtime.evaluate", { expression, returnByValue: true })).result.value;

  await send("Runtime.enable");
  await send("Log.enable");
  await send("Page.enable");
  await send("Emulation.setDeviceMetricsOverride", { width: 1440, height: 1000, deviceScaleFactor: 1, mobile: false });
  phase = "loading the page";
  await send("Page.navigate", { url });
  const probe = `(() => ({
    points: Number(document.getElementById("loss-chart")?.dataset.points || 0),
    canvases: document.querySelectorAll("#loss-chart canvas").length,
    spheres: document.querySelectorAll("#ring g.sphere").length,
    spheresWithData: document.querySelectorAll("#ring g.sphere:not(.idle)").length,
    nodeZero: document.querySelectorAll("#ring .node-zero").length,
    stages: document.querySelectorAll("#stages .stage").length,
    failedRows: document.querySelectorAll("#failed .failure").length,
    failedText: document.getElementById("failed")?.textContent || "",
    injected: document.querySelectorAll("#failed img, #stages img, #runs img").length,
    live: document.getElementById("live")?.textContent,
  }))()`;
  for (;;) {
    phase = "waiting for the drawing";
    lastState = await evaluate(probe);
    if (lastState.points >= 2 && lastState.canvases > 0 && lastState.spheresWithData === 12 &&
        lastState.stages > 0 && lastState.live === "live" && lastState.failedRows > 0) break;
    await sleep(200);
  }
  const drawnMs = Date.now() - started;
  phase = "taking the screenshot";
  await sleep(700); // let the fonts and the last frame settle before the picture
  lastState = await evaluate(probe);
  const metrics = await send("Page.getLayoutMetrics");
  const height = Math.ceil(metrics.cssContentSize ? metrics.cssContentSize.height : metrics.contentSize.height);
  await send("Emulation.setDeviceMetricsOverride", { width: 1440, height, deviceScaleFactor: 1, mobile: false });
  await sleep(300);
  const shot = await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
  fs.writeFileSync(shotPath, Buffer.from(shot.data, "base64"));
  // The retry button: a POST from the page itself (its token, the browser's own Origin).
  phase = "pressing retry";
  await evaluate(`document.querySelector("#failed button.retry").click()`);
  let retried = "";
  for (let k = 0; k < 100 && !retried; k++) {
    await sleep(100);
    retried = await evaluate(`document.body.dataset.lastRetry || ""`);
  }
  lastState.retryButton = retried.split(" ")[0] || "(no answer within 10 s)";
  done = true;
  clearTimeout(timer);
  console.log(JSON.stringify(Object.assign({ ok: errors.length === 0, errors, drawn_ms: drawnMs }, lastState)));
  ws.close();
  chrome.kill("SIGTERM");
  process.exit(errors.length === 0 ? 0 : 1);
}

main().catch((e) => fail(String(e && e.stack || e)));
