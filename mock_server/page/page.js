// The live page of the world (api/page.py): polls its compact read each second and redraws. Everything the world
// holds is written with textContent, never parsed as HTML: a VM named "<script>" is text. Each control sends the
// /_sim API's own request, so the page does nothing the API cannot.
"use strict";

const POLL_MS = 1000;
const AUTO_OPEN = 200; // VMs in the world up to which hosts start open; a larger world starts with hosts closed
const GIB = 2 ** 30;
const $ = (id) => document.getElementById(id);
const view = {
  chosen: {}, // host or cluster id -> true/false: opened or closed by a click
  pages: {}, // host or cluster id -> page of its VMs
  requestsPage: 0,
  chosenRequest: null,
  world: null,
  timer: null,
  asked: 0,
};

// a DOM node; strings among the children become text nodes
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function row(cells, className) {
  return el("tr", className, ...cells.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", "", c))));
}

function table(headings, rows) {
  return el("table", "", el("thead", "", el("tr", "", ...headings.map((h) => el("th", "", h)))),
    el("tbody", "", ...rows));
}

const gib = (bytes) => `${(bytes / GIB).toFixed(bytes % GIB ? 1 : 0)} GiB`;

function bar(share, className) {
  const inner = el("span");
  inner.style.width = `${Math.round(Math.min(1, Math.max(0, share)) * 100)}%`;
  return el("span", className, inner);
}

function isOpen(id) {
  return id in view.chosen ? view.chosen[id] : view.world !== null && view.world.vm_num <= AUTO_OPEN;
}

function query() {
  const keys = [];
  for (const cluster of view.world ? view.world.clusters : []) {
    for (const id of [...cluster.hosts.map((h) => h.id), cluster.id]) {
      if (isOpen(id)) keys.push(`${id}:${view.pages[id] || 0}`);
    }
  }
  return new URLSearchParams({
    open: keys.join(","), requests_path: $("requests-path").value.trim(),
    requests_status: $("requests-status").value.trim(), requests_page: view.requestsPage,
  });
}

// --- polling ---------------------------------------------------------------------------------------------------
async function poll(again = false) {
  clearTimeout(view.timer);
  const asked = query();
  const mine = ++view.asked; // an answer to an older poll, arriving late, is not drawn over a newer one
  try {
    const answer = await fetch(`page/world?${asked}`, { cache: "no-store" });
    const data = await answer.json();
    if (!answer.ok) throw new Error(data.message);
    if (mine !== view.asked) return;
    view.world = data;
    draw(data);
    $("live").textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (!again && query().get("open") !== asked.get("open")) return poll(true); // hosts to open are known now
  } catch (e) {
    $("live").textContent = `not reached: ${e.message}`;
  }
  view.timer = setTimeout(poll, POLL_MS);
}

function draw(data) {
  const clock = data.clock;
  $("clock").textContent = `${clock.now}  ${clock.mode}${clock.mode === "realtime" ? ` ×${clock.speed}` : ""}`;
  $("world").replaceChildren(...data.clusters.map(drawCluster));
  $("tasks").replaceChildren(drawTasks("Running", data.tasks.running), drawTasks("Recent", data.tasks.recent));
  $("faults").replaceChildren(drawFaults(data.faults));
  drawRequests(data.requests);
}

// --- clusters, hosts, VMs ----------------------------------------------------------------------------------------
function drawCluster(cluster) {
  const node = el("section", "cluster", el("h2", "", `${cluster.name} `,
    el("span", "muted", `${cluster.hosts.length} hosts, ${cluster.vm_num} VMs`)));
  node.dataset.name = cluster.name;
  node.append(...cluster.hosts.map((h) => drawHost(h.id, h.name, h, drawHostHead(h))));
  if (cluster.unplaced.vm_num) {
    node.append(drawHost(cluster.id, "on no host", cluster.unplaced, el("span", "muted", "stopped VMs no host keeps")));
  }
  return node;
}

function drawHostHead(host) {
  const used = host.used_memory_bytes / host.total_memory_bytes;
  return el("span", "host-facts",
    el("span", `state ${host.state}`, host.state), el("span", "muted", host.status),
    el("span", "", bar(used, "memory"), ` ${gib(host.used_memory_bytes)} used, ${gib(host.free_memory_bytes)} free`));
}

function drawHost(id, name, vms, head) {
  const open = isOpen(id);
  const toggle = el("button", "toggle", open ? "▾" : "▸");
  toggle.type = "button";
  toggle.title = open ? "close" : "open";
  toggle.addEventListener("click", () => { view.chosen[id] = !open; poll(); });
  const counts = Object.entries(vms.vm_counts).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
  const node = el("div", "host", el("div", "host-head", toggle, el("span", "name", name), head,
    el("span", "muted", `${vms.vm_num} VMs${counts ? ` (${counts})` : ""}`)));
  node.dataset.name = name;
  if (open && vms.vms) {
    node.append(table(["VM", "status", "memory", "vCPU", "IPs"], vms.vms.map((vm) => {
      const line = row([el("td", "wrap", vm.name), el("td", vm.status, vm.status), gib(vm.memory), vm.vcpu,
        el("td", "wrap", vm.ips)], "vm");
      line.dataset.name = vm.name;
      return line;
    })));
    if (vms.pages > 1) node.append(pager(vms.page, vms.pages, (page) => { view.pages[id] = page; poll(); }));
  }
  return node;
}

function pager(page, pages, go) {
  const button = (label, to) => {
    const b = el("button", "", label);
    b.type = "button";
    b.disabled = to < 0 || to >= pages;
    b.addEventListener("click", () => go(to));
    return b;
  };
  return el("span", "pager", button("‹", page - 1), ` ${page + 1} / ${pages} `, button("›", page + 1));
}

// --- tasks and faults ----------------------------------------------------------------------------------------------
function drawTasks(title, tasks) {
  if (!tasks.length) return el("p", "muted", `${title}: none`);
  return el("div", "", el("h3", "muted", title), table(["task", "progress", "status", "step or error"],
    tasks.map((t) => row([el("td", "wrap", t.description),
      el("span", "", bar(t.progress, "progress"), ` ${Math.round(t.progress * 100)}%`),
      el("td", t.status, t.status),
      el("td", `wrap${t.error_message ? " error" : ""}`, t.error_message || t.step || "")], "task"))));
}

function drawFaults(faults) {
  if (!faults.length) return el("p", "muted", "none set");
  const effect = (f) => Object.entries(f).filter(([k]) => !["id", "path", "where", "left", "applied"].includes(k))
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ");
  return table(["id", "path", "effect", "left", ""], faults.map((f) => {
    const remove = el("button", "", "remove");
    remove.type = "button";
    remove.addEventListener("click", () => send("DELETE", `faults/${encodeURIComponent(f.id)}`));
    return row([f.id, f.path, el("td", "wrap", effect(f) + (f.where ? ` where ${JSON.stringify(f.where)}` : "")),
      f.left, el("td", "", remove)], "fault");
  }));
}

// --- the request journal -------------------------------------------------------------------------------------------
function drawRequests(requests) {
  const pages = Math.max(1, Math.ceil(requests.total / requests.per_page));
  $("requests-pager").replaceChildren(`${requests.total} `,
    pager(view.requestsPage, pages, (page) => { view.requestsPage = page; poll(); }));
  $("requests").replaceChildren(table(["time", "method", "path", "status"], requests.entries.map((r) => {
    const line = row([r.time.slice(11, 23), r.method, el("td", "wrap", r.path),
      el("td", r.status >= 400 ? "error" : "", r.status)], r.request_id === view.chosenRequest ? "chosen" : "");
    line.title = "show the body it sent";
    line.addEventListener("click", () => showBody(r.request_id));
    return line;
  })));
}

async function showBody(requestId) {
  view.chosenRequest = requestId;
  const answer = await fetch(`page/requests/${encodeURIComponent(requestId)}`, { cache: "no-store" });
  const data = await answer.json();
  const shown = $("request-body");
  shown.textContent = answer.ok ? JSON.stringify(data.body, null, 2) : data.message;
  shown.hidden = false;
  poll();
}

// --- controls: the /_sim API's requests --------------------------------------------------------------------------
async function send(method, path, body) {
  const init = { method, headers: { "Content-Type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const answer = await fetch(path, init);
  const data = await answer.json().catch(() => ({}));
  $("message").textContent = answer.ok ? "" : `${method} /_sim/${path}: ${data.message || answer.status}`;
  await poll();
  return answer.ok ? data : null;
}

function value(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a bare string: a task's error message, a VM's name
  }
}

function setUp() {
  $("reset").addEventListener("click", () => send("POST", "reset"));
  $("clock-mode").addEventListener("submit", (e) => {
    e.preventDefault();
    const speed = $("speed").value.trim();
    send("POST", "clock", { mode: $("mode").value, ...(speed ? { speed: Number(speed) } : {}) });
  });
  $("clock-advance").addEventListener("submit", (e) => {
    e.preventDefault();
    send("POST", "clock", { advance: Number($("advance").value) });
  });
  const examples = { status: "503", delay_ms: "300", drop: "true", task: '{"error_message": "boom", "step": 0}',
    unmovable: '{"vm": "app-01"}' };
  $("fault-effect").addEventListener("change", (e) => { $("fault-value").placeholder = examples[e.target.value]; });
  $("fault-add").addEventListener("submit", (e) => {
    e.preventDefault();
    const effect = $("fault-effect").value;
    const given = $("fault-value").value.trim() || examples[effect];
    send("POST", "faults", { path: $("fault-path").value.trim(), times: Number($("fault-times").value || 1),
      [effect]: value(given) });
  });
  $("requests-filter").addEventListener("input", () => { view.requestsPage = 0; poll(); });
  $("requests-filter").addEventListener("submit", (e) => e.preventDefault());
  poll().then(() => {
    const clock = view.world && view.world.clock;
    if (clock) { $("mode").value = clock.mode; $("speed").value = clock.speed; }
  });
}

setUp();
