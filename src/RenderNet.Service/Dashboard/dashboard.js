// RenderNet's studio dashboard: plain JavaScript over the service's API. Pages are fragments of one document
// (#/jobs, #/jobs/ID, #/nodes, #/tx/HASH), so each job and transaction has a URL. The job queue follows /v1/events and
// an open job its own /v1/jobs/{id}/events (WebSockets: updates are pushed, nothing polls); the token comes from a
// "#token=" login link (`rendernet serve token --url`) or is asked for once, and stays in this tab only.
"use strict";

const tokenKey = "rendernet.token";
const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromLink) { sessionStorage.setItem(tokenKey, fromLink); history.replaceState(null, "", location.pathname + "#/jobs"); }
let token = sessionStorage.getItem(tokenKey) || "";
if (!token) { token = (prompt("Service token (rendernet serve token):") || "").trim(); sessionStorage.setItem(tokenKey, token); }

const $ = (selector, root = document) => root.querySelector(selector);
window.addEventListener("error", e => { $("#connection").textContent = "page error: " + e.message; });
window.addEventListener("unhandledrejection", e => { $("#connection").textContent = "page error: " + (e.reason?.message || e.reason); });
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
};

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: "Bearer " + token, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401) { sessionStorage.removeItem(tokenKey); $("#connection").textContent = "the token was refused: reload to enter it again"; }
  if (!response.ok) throw new Error((await response.json().catch(() => ({}))).detail || response.statusText);
  return response.status === 204 ? null : response.json();
}

// The token travels as the second WebSocket subprotocol: a browser cannot set an Authorization header on a WebSocket.
function socket(path, onMessage, onClose) {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + path, ["rendernet.bearer", token]);
  ws.binaryType = "arraybuffer";
  ws.onmessage = event => onMessage(event.data);
  ws.onclose = onClose || null;
  return ws;
}

// Each node keeps one colour everywhere (frame outlines, timeline lanes, tables): its place in the service's node list,
// hues a golden angle apart, so no two of the service's nodes look alike. A node not in the list gets a hashed hue.
function colourOf(key) {
  let index = (service.nodeAddresses || []).indexOf(key);
  if (index < 0) {
    index = 0x811c9dc5;
    for (const ch of key || "") index = Math.imul(index ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  }
  return `hsl(${Math.round((index * 137.508 + 200) % 360)}, 70%, 45%)`;
}
const swatch = key => el("span", { className: "swatch", textContent: "■ ", style: `color:${colourOf(key)}` });
// Events name a node "ID (address)", receipts and the nodes list give ID and address apart: the address is the key
// (an ID is the node's own word, and two nodes may claim the same one).
const nodeKey = name => (name || "").match(/\(([^()]*)\)$/)?.[1] || name || "";
const nodeLabel = name => (name || "").replace(/ \([^()]*\)$/, "");

const seconds = s => s == null ? "" : s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
const finalStates = new Set(["completed", "failed", "cancelled"]);
const failedOutcomes = new Set(["failed", "timed_out", "invalid", "rejected"]);
const lostOutcomes = new Set(["superseded", "paid_duplicate"]);
let service = {};

// A redeem transaction links to the block explorer the service names, else to this dashboard's view of the chain.
// Only a well-formed hash is ever a link (the hash is the node's word).
function transactionLink(tx) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(tx || "")) return el("span", { textContent: "" });
  const href = service.explorerTransactionUrl ? service.explorerTransactionUrl.replace("{tx}", tx) : `#/tx/${tx}`;
  return el("a", { href, className: "tx", textContent: tx.slice(0, 12) + "…", title: tx, ...(service.explorerTransactionUrl ? { target: "_blank", rel: "noopener" } : {}) });
}

function jobActions(job) {
  const done = finalStates.has(job.state);
  const action = (name, label, enabled) => {
    const button = el("button", { className: name, textContent: label, disabled: !enabled });
    button.onclick = () => api("POST", `/v1/jobs/${job.id}/${name}`).catch(e => alert(e.message));
    return button;
  };
  return [action("pause", "pause", job.state === "running" || job.state === "queued"),
    action("resume", "resume", job.state === "paused"), action("cancel", "cancel", !done)];
}

// ---------------------------------------------------------------- pages
const pages = ["jobs", "job", "nodes", "tx"];

function route() {
  const [, page, arg] = location.hash.match(/^#\/(jobs|nodes|tx)(?:\/([^/]+))?$/) || [null, "jobs", null];
  const shown = page === "jobs" && arg ? "job" : page;
  for (const p of pages) $(`#page-${p}`).hidden = p !== shown;
  $("#nav-jobs").classList.toggle("current", page === "jobs");
  $("#nav-nodes").classList.toggle("current", page === "nodes");
  if (shown === "job") openJob(decodeURIComponent(arg)); else closeJob();
  if (shown === "nodes") refreshNodes().catch(e => { $("#connection").textContent = e.message; });
  if (shown === "tx") showTransaction(decodeURIComponent(arg)).catch(e => { $("#tx").replaceChildren(el("dt", { textContent: "error" }), el("dd", { textContent: e.message })); });
}
window.addEventListener("hashchange", route);

// ---------------------------------------------------------------- the job queue
const rows = new Map();
const jobsById = new Map();

function renderJobs(jobs) {
  const body = $("#jobs tbody");
  for (const job of jobs) {
    jobsById.set(job.id, job);
    let row = rows.get(job.id);
    if (!row) {
      row = el("tr");
      row.dataset.job = job.id;
      row.onclick = event => { if (!event.target.closest("button, input")) location.hash = `#/jobs/${encodeURIComponent(job.id)}`; };
      rows.set(job.id, row);
      body.append(row);
    }
    row.dataset.state = job.state;
    if (document.activeElement && row.contains(document.activeElement)) continue; // never rebuild what the user is typing in
    const done = finalStates.has(job.state);
    const priority = el("input", { type: "number", min: 1, max: 100, value: job.priority, className: "priority", disabled: done });
    priority.onchange = () => api("PUT", `/v1/jobs/${job.id}/priority`, { priority: Number(priority.value) }).catch(e => alert(e.message));
    row.replaceChildren(
      el("td", {}, el("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, el("code", { textContent: job.id })), " ", job.name || ""),
      el("td", { textContent: job.kind }),
      el("td", {}, priority),
      el("td", {}, el("span", { className: "state " + job.state, textContent: job.state })),
      el("td", { className: "progress" }, el("progress", { max: Math.max(1, job.tilesTotal), value: job.tilesDone }), ` ${job.tilesDone}/${job.tilesTotal}`),
      el("td", { className: "cost", textContent: job.cost }),
      el("td", { textContent: done ? "" : seconds(job.etaSeconds) }),
      el("td", {}, ...jobActions(job)));
  }
  if (openJobId && jobsById.has(openJobId)) showJobHeader(jobsById.get(openJobId));
}

let lastNodesRefresh = 0;

function followQueue() {
  socket("/v1/events", data => {
    const message = JSON.parse(data);
    $("#connection").textContent = "live";
    service.spent = message.spent;
    showService();
    renderJobs(message.jobs);
    // The nodes page follows the same stream: its work and pay move as jobs run (at most every 3 s: each refresh probes the nodes).
    if (!$("#page-nodes").hidden && Date.now() - lastNodesRefresh > 3000) refreshNodes().catch(() => {});
  }, () => { $("#connection").textContent = "reconnecting…"; setTimeout(followQueue, 2000); });
}

// ---------------------------------------------------------------- one job: frame, timeline, nodes, spot checks, receipt
let jobSocket = null;
let openJobId = null;

function closeJob() {
  if (jobSocket) { jobSocket.onclose = null; jobSocket.close(); jobSocket = null; }
  openJobId = null;
}

function showJobHeader(job) {
  $("#job-name").textContent = job.name || "";
  $("#job-state").textContent = job.state;
  $("#job-state").className = "state " + job.state;
  $("#job-actions").replaceChildren(...jobActions(job));
}

function openJob(id) {
  if (openJobId === id && jobSocket) return;
  closeJob();
  openJobId = id;
  $("#job-id").textContent = id;
  $("#job-progress").textContent = "";
  $("#job-warnings").replaceChildren();
  $("#receipt").replaceChildren(el("dt", { textContent: "not yet" }), el("dd", { textContent: "the job is still running" }));
  if (jobsById.has(id)) showJobHeader(jobsById.get(id));
  const frame = $("#frame");
  const g = frame.getContext("2d");
  g.clearRect(0, 0, frame.width, frame.height);
  const timeline = new Timeline($("#timeline"));
  const nodes = new JobNodes($("#job-nodes tbody"));
  const checks = $("#job-checks tbody");
  checks.replaceChildren();
  $("#job-checks-none").hidden = false;
  let pendingTile = null, frameIndex = 0, sized = false;

  const ws = jobSocket = socket(`/v1/jobs/${encodeURIComponent(id)}/events?format=rgba8-srgb`, data => {
    if (ws !== jobSocket) return;
    if (typeof data !== "string") {             // the pixels of the tile event just before
      const e = pendingTile;
      pendingTile = null;
      if (!e || e.frameIndex !== frameIndex) return;
      g.putImageData(new ImageData(new Uint8ClampedArray(data), e.width, e.height), e.x, e.y);
      g.strokeStyle = colourOf(nodeKey(e.node));
      g.lineWidth = 1;
      g.strokeRect(e.x + 0.5, e.y + 0.5, e.width - 1, e.height - 1);
      return;
    }
    const e = JSON.parse(data);
    if (e.type === "tile") {
      if (!sized || e.frameIndex !== frameIndex) {     // a new frame (or the first): the canvas starts over
        frameIndex = e.frameIndex;
        frame.width = e.frameWidth; frame.height = e.frameHeight;
        frame.style.width = Math.min(640, e.frameWidth * Math.max(1, Math.floor(512 / e.frameWidth))) + "px";
        sized = true;
      }
      pendingTile = e;
    } else if (e.type === "attempt") {
      timeline.add(e);
      nodes.attempt(e);
      if (e.spotCheck) {
        $("#job-checks-none").hidden = true;
        checks.append(el("tr", { className: "check " + e.outcome },
          el("td", { textContent: `${e.frameIndex > 0 ? `frame ${e.frameIndex}, ` : ""}#${e.unit}` }),
          el("td", {}, swatch(nodeKey(e.node)), nodeLabel(e.node)),
          el("td", { textContent: e.message, title: e.outcome }),
          el("td", { textContent: e.durationSeconds.toFixed(2) })));
      }
    } else if (e.type === "progress") {
      $("#job-progress").textContent = `${e.tilesDone} of ${e.tilesTotal} tiles · ${e.cost} tokens · ${seconds(e.elapsedSeconds)} elapsed` +
        (e.etaSeconds != null ? ` · about ${seconds(e.etaSeconds)} left` : "");
    } else if (e.type === "state") {
      showJobHeader({ ...(jobsById.get(id) || { id }), state: e.state });
    } else if (e.type === "warning") {
      $("#job-warnings").append(el("div", { textContent: e.message }));
    } else if (finalStates.has(e.type)) {
      showJobHeader({ ...(jobsById.get(id) || { id }), state: e.type });
    }
    if (e.receipt) {
      nodes.receipt(e.receipt);
      showReceipt(e.receipt, e);
    }
  }, () => { if (ws === jobSocket) jobSocket = null; });
}

function showReceipt(receipt, e) {
  const row = (term, ...value) => [el("dt", { textContent: term }), el("dd", {}, ...value)];
  $("#receipt").replaceChildren(
    ...row("ended", e.type + (e.error ? `: ${e.error.message}` : "")),
    ...row("tiles", `${receipt.tilesDelivered} of ${receipt.tilesTotal}`),
    ...row("cost", `${receipt.cost} tokens`),
    ...row("took", seconds(receipt.durationSeconds)),
    ...(receipt.outputs || []).length ? row("outputs", receipt.outputs.map(o => o.file).join(", ")) : [],
    ...row("redeemed", ...receipt.nodes.flatMap(n => (n.redeemTransactions || []).map(tx => el("span", {}, swatch(n.address), transactionLink(tx), " ")))));
}

// The job's nodes: live from its attempt events, then the receipt's accounting (pay, verdicts, redeems) once it ends.
class JobNodes {
  constructor(body) { this.body = body; this.lines = new Map(); body.replaceChildren(); }

  line(key, label) {
    let line = this.lines.get(key);
    if (!line) {
      line = { label, tiles: 0, checks: 0, failures: 0, busy: 0, verdict: "", paid: "", txs: [], row: el("tr") };
      line.row.dataset.node = key;
      this.lines.set(key, line);
      this.body.append(line.row);
    }
    return line;
  }

  attempt(e) {
    const key = nodeKey(e.node), line = this.line(key, nodeLabel(e.node));
    if (e.outcome === "accepted") line.tiles++;
    if (e.spotCheck && e.outcome.startsWith("check_")) line.checks++;
    if (failedOutcomes.has(e.outcome) && e.outcome !== "rejected") line.failures++;
    line.busy += e.durationSeconds || 0;
    this.draw(key, line);
  }

  receipt(receipt) {
    for (const n of receipt.nodes) {
      const line = this.line(n.address, n.node);
      Object.assign(line, { tiles: n.tiles, checks: n.spotChecks, failures: n.failures, paid: n.paid, txs: n.redeemTransactions || [],
        verdict: n.convicted ? "convicted: " + (n.excluded || "") : n.excluded ? "excluded: " + n.excluded : "ok" });
      this.draw(n.address, line);
    }
  }

  draw(key, line) {
    line.row.replaceChildren(
      el("td", {}, swatch(key), line.label),
      el("td", { className: "tiles", textContent: line.tiles }),
      el("td", { textContent: line.checks }),
      el("td", { className: "failures", textContent: line.failures }),
      el("td", { textContent: seconds(line.busy) }),
      el("td", { className: "verdict", textContent: line.verdict }),
      el("td", { className: "paid", textContent: line.paid }),
      el("td", {}, ...line.txs.map(transactionLink)));
  }
}

// The per-node timeline the CLI draws as a PNG, drawn live: a lane per node, a bar per attempt from its start to its
// end (spot checks hatched, failures red, superseded copies and duplicates that lost faded), redrawn as they come.
class Timeline {
  constructor(canvas) {
    this.canvas = canvas;
    this.attempts = [];
    this.lanes = new Map();
    this.pending = false;
    canvas.dataset.bars = "0";
    this.draw();
  }

  add(e) {
    const end = e.atUnixMs, start = end - (e.durationSeconds || 0) * 1000;
    const key = nodeKey(e.node);
    if (!this.lanes.has(key)) this.lanes.set(key, { index: this.lanes.size, label: nodeLabel(e.node) });
    this.attempts.push({ key, start, end, outcome: e.outcome, check: e.spotCheck });
    if (!this.pending) { this.pending = true; requestAnimationFrame(() => { this.pending = false; this.draw(); }); }
  }

  draw() {
    const c = this.canvas, g = c.getContext("2d");
    const label = 110, axis = 16, width = c.width - label - 8;
    g.clearRect(0, 0, c.width, c.height);
    g.font = "11px system-ui, sans-serif";
    if (this.attempts.length === 0) { g.fillStyle = "#888"; g.fillText("no attempt has ended yet", label, 20); return; }
    const t0 = Math.min(...this.attempts.map(a => a.start)), t1 = Math.max(...this.attempts.map(a => a.end));
    const span = Math.max(1, t1 - t0), x = t => label + ((t - t0) / span) * width;
    const laneHeight = Math.min(30, Math.floor((c.height - axis) / Math.max(1, this.lanes.size)));
    // A node runs several tiles at once: its lane splits into as many rows as it had attempts overlapping.
    const rowsOf = new Map(), rowOf = new Map();
    for (const a of [...this.attempts].sort((p, q) => p.start - q.start)) {
      const rows = rowsOf.get(a.key) || rowsOf.set(a.key, []).get(a.key);
      let row = rows.findIndex(end => end <= a.start);
      if (row < 0) row = rows.push(0) - 1;
      rows[row] = a.end;
      rowOf.set(a, row);
    }
    for (const [key, lane] of this.lanes) {
      g.fillStyle = colourOf(key);
      g.fillText(lane.label.length > 16 ? lane.label.slice(0, 15) + "…" : lane.label, 4, lane.index * laneHeight + laneHeight / 2 + 4);
    }
    for (const a of this.attempts) {
      const lane = this.lanes.get(a.key).index, rows = rowsOf.get(a.key).length;
      const h = Math.max(2, (laneHeight - 4) / rows - 1), y = lane * laneHeight + 2 + rowOf.get(a) * (h + 1);
      const left = x(a.start), w = Math.max(2, x(a.end) - left);
      g.globalAlpha = lostOutcomes.has(a.outcome) ? 0.35 : 1;
      g.fillStyle = failedOutcomes.has(a.outcome) ? "#d33" : colourOf(a.key);
      g.fillRect(left, y, w, h);
      if (a.check) {                                 // hatched: a spot check
        g.save();
        g.beginPath(); g.rect(left, y, w, h); g.clip();
        g.strokeStyle = "rgba(255,255,255,.8)";
        for (let s = left - h; s < left + w; s += 5) { g.beginPath(); g.moveTo(s, y + h); g.lineTo(s + h, y); g.stroke(); }
        g.restore();
      }
      g.globalAlpha = 1;
      g.strokeStyle = "rgba(0,0,0,.25)";
      g.strokeRect(left + 0.5, y + 0.5, w - 1, h - 1);
    }
    // Seconds along the bottom, at a round step.
    const total = span / 1000, step = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600].find(s => total / s <= 8) || 7200;
    g.fillStyle = "#666";
    for (let s = 0; s <= total + 1e-9; s += step) {
      const px = x(t0 + s * 1000);
      g.fillRect(px, c.height - axis, 1, 4);
      g.fillText(seconds(s), Math.min(px + 2, c.width - 40), c.height - 3);
    }
    c.dataset.bars = String(this.attempts.length);
  }
}

// ---------------------------------------------------------------- nodes: health from a probe, work and pay from the service
async function refreshNodes() {
  lastNodesRefresh = Date.now();
  const nodes = await api("GET", "/v1/nodes");
  $("#nodes tbody").replaceChildren(...nodes.map(n => el("tr", {},
    el("td", {}, swatch(n.address), n.id),
    el("td", {}, el("code", { textContent: n.address })),
    el("td", { className: "health", textContent: n.healthy ? "healthy" : (n.problem || "unreachable") }),
    el("td", { className: "standing", textContent: n.standing + (n.joined ? " · joined" : ""), title: n.denied || `${n.verified} result(s) verified by other nodes, ${n.timedOut} timeout(s)` }),
    el("td", { textContent: n.device }),
    el("td", { className: "fingerprint" }, el("code", { textContent: (n.fingerprint || "").slice(0, 12), title: n.fingerprint })),
    el("td", { textContent: n.price }),
    el("td", { textContent: Math.round(n.samplesPerSecond).toLocaleString() }),
    el("td", { className: "tiles", textContent: n.tiles }),
    el("td", { textContent: n.spotChecks }),
    el("td", { className: "failures", textContent: n.failures }),
    el("td", { className: "convictions", textContent: n.convictions }),
    el("td", { className: "paid", textContent: n.paid }))));
}

// ---------------------------------------------------------------- a transaction, as the service's chain holds it
async function showTransaction(hash) {
  $("#tx-hash").textContent = hash;
  $("#tx").replaceChildren(el("dt", { textContent: "reading" }), el("dd", { textContent: "the chain…" }));
  $("#tx-redeemed tbody").replaceChildren();
  const tx = await api("GET", `/v1/transactions/${encodeURIComponent(hash)}`);
  const row = (term, value) => [el("dt", { textContent: term }), el("dd", { textContent: value })];
  $("#tx").replaceChildren(...row("status", tx.succeeded ? "succeeded" : "reverted"), ...row("block", tx.block),
    ...row("from", tx.from), ...row("to", tx.to), ...row("gas used", tx.gasUsed));
  $("#tx-redeemed tbody").replaceChildren(...tx.redeemed.map(r => el("tr", {},
    el("td", { textContent: r.channel }), el("td", {}, el("code", { textContent: r.node })),
    el("td", { className: "paid", textContent: r.paid }), el("td", { textContent: r.cumulativeAmount }), el("td", { textContent: r.units }))));
}

$("#refresh-nodes").onclick = () => refreshNodes().catch(e => alert(e.message));
function showService() {
  const s = service;
  if (s.nodes == null) return;
  $("#service").textContent = `${s.nodes} node(s) · spent ${s.spent}${s.budget ? " of " + s.budget : ""} tokens` + (s.payer ? ` · paying from ${s.payer}` : "");
}

// The service first (its node list decides the colours), then the pages.
api("GET", "/v1/service").then(s => { service = s; showService(); }, e => { $("#connection").textContent = e.message; })
  .finally(() => { followQueue(); route(); });
