// The runs index: every run with status, entry point, overrides, main metric, start and
// duration; filter, sort, select several to compare. Refreshed every 2 s.
import {el, every, fmtDuration, fmtNumber, fmtTime, getJSON, runLink, statusBadge} from "./common.js";

const state = {runs: [], text: "", status: "", entry: "", sort: "started", desc: true,
  selected: new Set(), lastJSON: ""};
const COLUMNS = [
  ["status", "status"], ["entry_point", "entry point"], ["id", "run"],
  ["overrides", "overrides"], ["metric", "main metric"], ["started", "started"],
  ["duration", "duration"],
];

const main = document.getElementById("main");
const filterBox = el("input", {type: "search", id: "filter", placeholder: "filter (text in run, overrides, entry point)",
  oninput: (e) => { state.text = e.target.value.toLowerCase(); render(); }});
const statusSelect = el("select", {id: "status-filter", onchange: (e) => { state.status = e.target.value; render(); }},
  ["", "running", "finished", "failed", "killed"].map((s) => el("option", {value: s}, s || "any status")));
const entrySelect = el("select", {id: "entry-filter", onchange: (e) => { state.entry = e.target.value; render(); }});
const compareButton = el("button", {id: "compare", disabled: true, onclick: () => {
  const query = [...state.selected].map((id) => `id=${encodeURIComponent(id)}`).join("&");
  location.href = `/compare?${query}`;
}}, "compare selected");
const count = el("span", {class: "muted", id: "count"});
const head = el("tr");
const body = el("tbody", {id: "runs", onchange: (e) => {  // one listener for every row's checkbox
  const id = e.target.closest("tr")?.dataset.id;
  if (!e.target.matches("input.select") || id === undefined) return;
  if (e.target.checked) state.selected.add(id); else state.selected.delete(id);
  compareButton.disabled = state.selected.size < 2;
}});
main.replaceChildren(
  el("div", {class: "toolbar"}, filterBox, statusSelect, entrySelect, compareButton, count),
  el("table", {class: "runs"}, el("thead", {}, head), body));

function sortValue(run, key) {
  if (key === "metric") return run.metric ? run.metric.value : null;
  if (key === "overrides") return run.overrides.join(" ");
  return run[key];
}

function renderHead() {
  head.replaceChildren(el("th", {}, ""), ...COLUMNS.map(([key, title]) => el("th", {
    class: "sortable", dataset: {key},
    onclick: () => { state.desc = state.sort === key ? !state.desc : key !== "id"; state.sort = key; render(); },
  }, title, state.sort === key ? (state.desc ? " ▾" : " ▴") : "")));
}

function visible() {
  const words = state.text.split(/\s+/).filter(Boolean);
  const runs = state.runs.filter((run) => {
    if (state.status && run.status !== state.status) return false;
    if (state.entry && run.entry_point !== state.entry) return false;
    const hay = `${run.id} ${run.entry_point} ${run.overrides.join(" ")} ${run.status}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
  const sign = state.desc ? -1 : 1;
  return runs.sort((a, b) => {
    const x = sortValue(a, state.sort), y = sortValue(b, state.sort);
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * sign;
  });
}

function row(run) {
  const box = el("input", {type: "checkbox", class: "select", checked: state.selected.has(run.id)});
  const metric = run.metric ? el("span", {title: run.metric.name}, fmtNumber(run.metric.value),
    el("span", {class: "muted"}, ` ${run.metric.name}`)) : "—";
  return el("tr", {dataset: {id: run.id, status: run.status}},
    el("td", {}, box), el("td", {}, statusBadge(run.status, run.status_reason)),
    el("td", {}, run.entry_point), el("td", {class: "id"}, runLink(run.id)),
    el("td", {class: "overrides"}, run.overrides.join(" ")), el("td", {class: "num"}, metric),
    el("td", {}, fmtTime(run.started)), el("td", {class: "num"}, fmtDuration(run.duration)));
}

function render() {
  const t0 = performance.now();
  renderHead();
  const runs = visible();
  const fragment = document.createDocumentFragment();
  for (const run of runs) fragment.append(row(run));
  body.replaceChildren(fragment);
  count.textContent = `${runs.length} of ${state.runs.length} runs`;
  compareButton.disabled = state.selected.size < 2;
  document.body.dataset.rendered = String(runs.length);
  window.renderMs = performance.now() - t0;
}

async function refresh() {
  const response = await fetch("/api/runs", {cache: "no-store"});
  const text = await response.text();
  if (text === state.lastJSON) return;
  state.lastJSON = text;
  state.runs = JSON.parse(text).runs;
  const entries = [...new Set(state.runs.map((r) => r.entry_point))].sort();
  const current = state.entry;
  entrySelect.replaceChildren(el("option", {value: ""}, "any entry point"),
    ...entries.map((e) => el("option", {value: e, selected: e === current}, e)));
  render();
}

await refresh();
every(2000, refresh);
