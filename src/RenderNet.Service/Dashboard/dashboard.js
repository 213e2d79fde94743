// RenderNet's studio dashboard: plain JavaScript over the service's API. The job queue follows /v1/events and the
// open job its own /v1/jobs/{id}/events (WebSockets: updates are pushed, nothing polls); the token comes from a
// "#token=" login link (`rendernet serve token --url`) or is asked for once, and stays in this tab only.
"use strict";

const tokenKey = "rendernet.token";
const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromLink) { sessionStorage.setItem(tokenKey, fromLink); history.replaceState(null, "", location.pathname); }
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

// Each node keeps one colour everywhere: frame outlines, timeline lanes.
function colourOf(node) {
  let hash = 0;
  for (const ch of node || "") hash = Math.imul(hash ^ ch.charCodeAt(0), 0x9e3779b1) >>> 0;
  return `hsl(${Math.round((hash / 4294967296) * 360)}, 70%, 45%)`;   // names differing in one letter get far-apart hues
}

const seconds = s => s == null ? "" : s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
const finalStates = new Set(["completed", "failed", "cancelled"]);

// ---------------------------------------------------------------- the job queue
const rows = new Map();
let selected = null;

function renderJobs(jobs) {
  const body = $("#jobs tbody");
  for (const job of jobs) {
    let row = rows.get(job.id);
    if (!row) {
      row = el("tr");
      row.dataset.job = job.id;
      row.onclick = event => { if (!event.target.closest("button, input")) openJob(job.id); };
      rows.set(job.id, row);
      body.append(row);
    }
    row.dataset.state = job.state;
    const done = finalStates.has(job.state);
    const priority = el("input", { type: "number", min: 1, max: 100, value: job.priority, className: "priority", disabled: done });
    priority.onchange = () => api("PUT", `/v1/jobs/${job.id}/priority`, { priority: Number(priority.value) }).catch(e => alert(e.message));
    const action = (name, label, enabled) => {
      const button = el("button", { className: name, textContent: label, disabled: !enabled });
      button.onclick = () => api("POST", `/v1/jobs/${job.id}/${name}`).catch(e => alert(e.message));
      return button;
    };
    if (document.activeElement && row.contains(document.activeElement)) continue; // never rebuild what the user is typing in
    row.replaceChildren(
      el("td", {}, el("code", { textContent: job.id }), " ", job.name || ""),
      el("td", { textContent: job.kind }),
      el("td", {}, priority),
      el("td", {}, el("span", { className: "state " + job.state, textContent: job.state })),
      el("td", { className: "progress" }, el("progress", { max: Math.max(1, job.tilesTotal), value: job.tilesDone }), ` ${job.tilesDone}/${job.tilesTotal}`),
      el("td", { className: "cost", textContent: job.cost }),
      el("td", { textContent: done ? "" : seconds(job.etaSeconds) }),
      el("td", {}, action("pause", "pause", job.state === "running" || job.state === "queued"),
        action("resume", "resume", job.state === "paused"), action("cancel", "cancel", !done)));
    row.classList.toggle("selected", job.id === selected);
  }
}

const lastStates = new Map();

function followQueue() {
  socket("/v1/events", data => {
    const message = JSON.parse(data);
    $("#connection").textContent = "live";
    // A job that just ended has a receipt: the nodes' tiles, failures and pay change with it.
    if (message.jobs.some(j => finalStates.has(j.state) && lastStates.has(j.id) && lastStates.get(j.id) !== j.state)) refreshNodes().catch(() => {});
    for (const j of message.jobs) lastStates.set(j.id, j.state);
    renderJobs(message.jobs);
    if (!selected) {
      const running = message.jobs.find(j => j.state === "running") || message.jobs[0];
      if (running) openJob(running.id);
    }
  }, () => { $("#connection").textContent = "reconnecting…"; setTimeout(followQueue, 2000); });
}

// ---------------------------------------------------------------- one job: the frame filling in, the node timeline
let jobSocket = null;

function openJob(id) {
  if (jobSocket) { jobSocket.onclose = null; jobSocket.close(); }
  selected = id;
  for (const [jobId, row] of rows) row.classList.toggle("selected", jobId === id);
  $("#job").hidden = false;
  $("#job-id").textContent = id;
  $("#job-nodes tbody").replaceChildren();
  $("#job-warnings").textContent = "";
  const frame = $("#frame"), timeline = $("#timeline");
  const g = frame.getContext("2d"), t = timeline.getContext("2d");
  t.clearRect(0, 0, timeline.width, timeline.height);
  const lanes = new Map();
  let start = null, pendingTile = null, frameIndex = 0, sized = false;

  jobSocket = socket(`/v1/jobs/${id}/events?format=rgba8-srgb`, data => {
    if (typeof data !== "string") {             // the pixels of the tile event just before
      const e = pendingTile;
      pendingTile = null;
      if (!e || e.frameIndex !== frameIndex) return;
      g.putImageData(new ImageData(new Uint8ClampedArray(data), e.width, e.height), e.x, e.y);
      g.strokeStyle = colourOf(e.node);
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
      // The timeline: one lane per node, a tick per tile at the moment it arrived.
      start ??= e.atUnixMs;
      if (!lanes.has(e.node)) lanes.set(e.node, lanes.size);
      const lane = lanes.get(e.node), laneHeight = Math.max(8, Math.floor(timeline.height / Math.max(4, lanes.size)));
      const x = Math.min(timeline.width - 3, Math.floor((e.atUnixMs - start) / 100)); // 10 px per second
      t.fillStyle = colourOf(e.node);
      t.fillRect(x, lane * laneHeight + 1, 3, laneHeight - 2);
    } else if (e.type === "progress") {
      $("#job-progress").textContent = `${e.tilesDone} of ${e.tilesTotal} tiles · ${e.cost} tokens · ${seconds(e.elapsedSeconds)} elapsed` +
        (e.etaSeconds != null ? ` · about ${seconds(e.etaSeconds)} left` : "");
    } else if (e.type === "state") {
      $("#job-state").textContent = e.state;
      $("#job-state").className = "state " + e.state;
    } else if (e.type === "warning") {
      $("#job-warnings").append(el("div", { textContent: e.message }));
    } else if (e.receipt) {
      showReceipt(e.receipt);
    }
  });
}

function showReceipt(receipt) {
  $("#job-nodes tbody").replaceChildren(...receipt.nodes.map(n => el("tr", {},
    el("td", {}, el("span", { textContent: "■ ", style: `color:${colourOf(n.node)}` }), n.node),
    el("td", { textContent: n.tiles }),
    el("td", { textContent: n.spotChecks }),
    el("td", { className: "failures", textContent: n.failures }),
    el("td", { className: "verdict", textContent: n.convicted ? "convicted: " + (n.excluded || "") : n.excluded ? "excluded: " + n.excluded : "ok" }),
    el("td", { textContent: n.paid }),
    el("td", {}, ...(n.redeemTransactions || []).map(tx => el("code", { textContent: tx.slice(0, 18) + "…", title: tx }))))));
  for (const w of receipt.warnings || []) $("#job-warnings").append(el("div", { textContent: w }));
}

// ---------------------------------------------------------------- nodes: health from a probe, work and pay from receipts
async function refreshNodes() {
  const [nodes, jobs] = await Promise.all([api("GET", "/v1/nodes"), api("GET", "/v1/jobs")]);
  const work = new Map();
  for (const job of jobs) for (const n of job.receipt?.nodes || []) {
    const w = work.get(n.address) || { tiles: 0, paid: 0, failures: 0, convictions: 0 };
    w.tiles += n.tiles; w.paid += Number(n.paid); w.failures += n.failures || 0; w.convictions += n.convicted ? 1 : 0;
    work.set(n.address, w);
  }
  $("#nodes tbody").replaceChildren(...nodes.map(n => {
    const w = work.get(n.address) || { tiles: 0, paid: 0, failures: 0, convictions: 0 };
    return el("tr", {},
      el("td", {}, el("span", { textContent: "■ ", style: `color:${colourOf(n.id)}` }), n.id),
      el("td", {}, el("code", { textContent: n.address })),
      el("td", { className: "health", textContent: n.healthy ? "healthy" : (n.problem || "unreachable") }),
      el("td", { textContent: n.device }),
      el("td", { textContent: n.price }),
      el("td", { textContent: Math.round(n.samplesPerSecond).toLocaleString() }),
      el("td", { textContent: w.tiles }),
      el("td", { textContent: w.failures }),
      el("td", { textContent: w.convictions }),
      el("td", { textContent: w.paid.toString() }));
  }));
}

$("#refresh-nodes").onclick = () => refreshNodes().catch(e => alert(e.message));
api("GET", "/v1/service").then(s => {
  $("#service").textContent = `${s.nodes} node(s) · spent ${s.spent}${s.budget ? " of " + s.budget : ""} tokens` + (s.payer ? ` · paying from ${s.payer}` : "");
}).catch(e => { $("#connection").textContent = e.message; });
refreshNodes().catch(() => {});
followQueue();
