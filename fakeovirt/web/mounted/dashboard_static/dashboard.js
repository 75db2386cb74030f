// fakeovirt dashboard: polls state.json every second and redraws. Read-only, no dependencies.
"use strict";

const STATE_URL = "/fakeovirt/dashboard/state.json";
const POLL_MS = 1000;

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

function short(id) {
  return id ? esc(String(id).slice(0, 8)) : "—";
}

function badge(text) {
  return `<span class="badge ${esc(text)}">${esc(text)}</span>`;
}

function size(bytes) {
  if (bytes == null) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes, i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function time(iso) {
  return iso ? esc(iso.slice(11, 23)) : "";
}

// The checkpoint chain, root to leaf, as an inline SVG graph.
function chainSvg(vm) {
  const nodes = vm.checkpoints;
  const ids = nodes.map((c) => c.id).join(" ");
  if (!nodes.length) {
    return `<p class="muted chain-empty">no checkpoints yet: the first backup is a full one</p>`;
  }
  const from = new Set(vm.backups.filter((b) => !b.finished).map((b) => b.from_checkpoint_id));
  const step = 120, x0 = 40, y = 34;
  const width = x0 * 2 + step * (nodes.length - 1);
  let out = `<svg class="chain" data-vm="${esc(vm.name)}" data-checkpoints="${esc(ids)}"` +
    ` viewBox="0 0 ${Math.max(width, 300)} 84" preserveAspectRatio="xMinYMid meet"` +
    ` role="img" aria-label="checkpoint chain of ${esc(vm.name)}">`;
  nodes.forEach((c, i) => {
    if (i > 0) out += `<line x1="${x0 + step * (i - 1) + 14}" y1="${y}" x2="${x0 + step * i - 14}" y2="${y}"/>`;
  });
  nodes.forEach((c, i) => {
    const classes = ["node", c.state];
    if (i === nodes.length - 1) classes.push("leaf");
    if (from.has(c.id)) classes.push("target");
    out += `<g class="${classes.join(" ")}" data-checkpoint-id="${esc(c.id)}">` +
      `<title>${esc(c.id)} (${esc(c.state)}) disks: ${esc(c.disks.join(", "))}</title>` +
      `<circle cx="${x0 + step * i}" cy="${y}" r="12"/>` +
      `<text x="${x0 + step * i}" y="${y + 30}" text-anchor="middle">${short(c.id)}</text></g>`;
  });
  return out + "</svg>";
}

function backupHtml(b) {
  const steps = b.history.map((h, i) =>
    `<span class="${i === b.history.length - 1 ? "current" : ""}">${esc(h.phase)} ${time(h.at)}</span>`
  ).join("");
  const kind = b.from_checkpoint_id ? `incremental from ${short(b.from_checkpoint_id)}` : "full";
  const modes = Object.entries(b.modes).map(([d, m]) => `${esc(d)}: ${esc(m)}`).join(", ");
  return `<div class="backup" data-backup-id="${esc(b.id)}" data-phase="${esc(b.phase)}">` +
    `<div>${badge(b.phase)} backup <code>${esc(b.id)}</code> — ${kind}, ${esc(b.path)} path` +
    `${b.to_checkpoint_id ? `, checkpoint <code>${short(b.to_checkpoint_id)}</code>` : ""}</div>` +
    `<div class="muted">disks: ${modes || esc(b.disks.join(", "))}</div>` +
    `<div class="timeline">${steps}</div></div>`;
}

// A disk's volumes, base first: each layer with its snapshot, the active one last.
function layersHtml(d) {
  const layers = d.volumes.map((v) =>
    `<span class="layer${v.active ? " active" : ""}" data-image-id="${esc(v.image_id)}"` +
    ` title="${esc(v.image_id)} (${esc(v.format)}, ${size(v.stored)} own data)">` +
    `<code>${short(v.image_id)}</code> ${esc(v.snapshot ?? "")}` +
    `${v.status === "ok" ? "" : " " + badge(v.status)}</span>`
  ).join('<span class="arrow">→</span>');
  return `<div class="layers" data-disk="${esc(d.alias)}">${layers}</div>`;
}

function snapshotRow(s) {
  const status = s.removing ? "merging" : s.status;
  return `<tr data-snapshot-id="${esc(s.id)}" data-status="${esc(status)}">` +
    `<td>${esc(s.description)}</td><td>${esc(s.type)}</td><td>${badge(status)}</td>` +
    `<td><code>${short(s.id)}</code></td><td>${esc(s.disks.join(", "))}</td></tr>`;
}

function vmHtml(vm) {
  const disks = vm.disks.map((d) =>
    `<tr><td>${esc(d.alias)}</td><td>${esc(d.format)}</td><td>${esc(d.backup)}</td>` +
    `<td>${size(d.size)}</td><td>${badge(d.status)}${d.active ? "" : " unplugged"}</td>` +
    `<td>${layersHtml(d)}</td></tr>`
  ).join("");
  const snapshots = vm.snapshots.map(snapshotRow).join("");
  const backups = vm.backups.slice().reverse().map(backupHtml).join("");
  return `<article class="card vm" data-vm="${esc(vm.name)}" data-vm-id="${esc(vm.id)}">` +
    `<header><h3>${esc(vm.name)}</h3>${badge(vm.status)}<code class="muted">${esc(vm.id)}</code></header>` +
    `<table class="disks"><thead><tr><th>disk</th><th>format</th><th>backup</th><th>size</th>` +
    `<th>status</th><th>volumes (base → active)</th></tr></thead><tbody>${disks}</tbody></table>` +
    `<h2>Snapshots</h2><table class="snapshots"><thead><tr><th>description</th><th>type</th>` +
    `<th>status</th><th>id</th><th>disks</th></tr></thead><tbody>${snapshots}</tbody></table>` +
    `<h2>Checkpoint chain</h2>${chainSvg(vm)}` +
    `<h2>Backups</h2>${backups || '<p class="muted">no backups</p>'}</article>`;
}

// A transfer's imageio data requests: how many, the bytes moved, and the torn ones (a body
// that ended short of its Content-Length), with the last one's reason on hover.
function dataCell(d) {
  const flight = d.in_flight ? `, ${esc(d.in_flight)} in flight` : "";
  const line = `${esc(d.requests)} done${flight} · ${size(d.moved)}`;
  if (!d.torn) return `<td class="data" data-torn="0">${line}</td>`;
  const last = d.last_torn;
  const why = last ? `last: ${last.method} ${last.op} at ${last.offset}, ` +
    `${last.moved} of ${last.announced} bytes (${last.reason})` : "";
  return `<td class="data" data-torn="${esc(d.torn)}">${line} ` +
    `<span class="badge torn" title="${esc(why)}">${esc(d.torn)} torn</span>` +
    (last ? `<div class="muted small">${esc(last.reason)}</div>` : "") + `</td>`;
}

function floatingDiskRow(d) {
  return `<tr data-disk-id="${esc(d.id)}" data-status="${esc(d.status)}">` +
    `<td>${esc(d.alias)}</td><td>${esc(d.format)}</td><td>${esc(d.backup)}</td>` +
    `<td>${size(d.size)}</td><td>${esc(d.storage_domain)}</td><td>${badge(d.status)}</td></tr>`;
}

function transferRow(t) {
  const pct = t.size ? Math.min(100, (100 * t.transferred) / t.size) : 0;
  return `<tr data-transfer-id="${esc(t.id)}" data-phase="${esc(t.phase)}">` +
    `<td><code>${short(t.id)}</code></td><td>${esc(t.disk)}</td><td><code>${short(t.backup_id)}</code></td>` +
    `<td>${badge(t.phase)}</td><td><div class="bar"><div style="width:${pct.toFixed(1)}%"></div>` +
    `<span>${size(t.transferred)} of ${size(t.size)}</span></div></td>${dataCell(t.data)}</tr>`;
}

function journalRow(e) {
  const call = e.path + (e.query ? `?${e.query}` : "");
  return `<tr><td>${esc(e.index)}</td><td><code>${esc(e.method)} ${esc(call)}</code></td>` +
    `<td>${esc(e.status)}</td><td>${esc(e.user ?? "")}</td></tr>`;
}

function render(state) {
  document.getElementById("status").textContent =
    `scenario ${state.scenario} · engine time ${state.now} · policy ${state.policy.mode}`;
  document.getElementById("vms").innerHTML = state.vms.map(vmHtml).join("");
  document.querySelector("#transfers tbody").innerHTML =
    state.transfers.map(transferRow).join("") || '<tr><td colspan="6" class="muted">none</td></tr>';
  document.querySelector("#floating-disks tbody").innerHTML =
    (state.floating_disks || []).map(floatingDiskRow).join("") ||
    '<tr><td colspan="6" class="muted">none</td></tr>';
  document.querySelector("#journal tbody").innerHTML = state.journal.map(journalRow).join("");
  document.body.dataset.updated = state.now;
}

async function poll() {
  try {
    const response = await fetch(STATE_URL, { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
  } catch (error) {
    document.getElementById("status").textContent = `cannot reach fakeovirt: ${error.message}`;
  }
  setTimeout(poll, POLL_MS);
}

poll();
