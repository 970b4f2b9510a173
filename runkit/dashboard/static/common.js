// Helpers shared by the pages. Every string from a run (code, output, LLM text, names) goes
// into the page as a text node (textContent), never as HTML.

/** Build an element: el("a", {href: "/x", class: "c"}, "text", child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export async function getJSON(url) {
  const response = await fetch(url, {cache: "no-store"});
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

export function fmtNumber(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0)
    ? value.toExponential(3) : value.toPrecision(4).replace(/\.?0+$/, "");
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function fmtTime(epoch) {
  if (!epoch) return "—";
  const d = new Date(epoch * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function statusBadge(status, reason) {
  return el("span", {class: `badge status-${status}`, title: reason || ""}, status);
}

/** Plotly renders a small HTML subset in labels: escape what comes from runs before. */
export function plotText(value) {
  return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export const PLOT_CONFIG = {displaylogo: false, responsive: true};

export function plotLayout(extra = {}) {
  return {
    margin: {l: 55, r: 20, t: 30, b: 45},
    paper_bgcolor: "#fff", plot_bgcolor: "#fafafa",
    font: {family: "system-ui, sans-serif", size: 12},
    ...extra,
  };
}

/** Call fn every `ms` while the page is visible; show the live marker while it succeeds. */
export function every(ms, fn) {
  const marker = document.getElementById("live");
  let running = false;
  const tick = async () => {
    if (running || document.hidden) return;
    running = true;
    try { await fn(); marker?.classList.remove("stale"); }
    catch (error) { marker?.classList.add("stale"); console.warn(error); }
    finally { running = false; }
  };
  return setInterval(tick, ms);
}

export function runLink(id) {
  return el("a", {href: `/run?id=${encodeURIComponent(id)}`}, id);
}

export function fileURL(runId, name) {
  return "/files/" + `${runId}/${name}`.split("/").map(encodeURIComponent).join("/");
}

/** A table of key/value rows. */
export function kvTable(entries) {
  return el("table", {class: "kv"}, el("tbody", {}, entries.map(([k, v]) =>
    el("tr", {}, el("th", {}, k), el("td", {}, v instanceof Node ? v : fmtNumber(v))))));
}

/** metrics as "a.b" -> scalar (arrays and objects of depth kept out). */
export function flatten(data, prefix = "", out = {}) {
  if (data && typeof data === "object" && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (!Array.isArray(data)) {
    out[prefix] = data;
  }
  return out;
}
