// Several runs side by side: their metrics in one table (differing values marked) and their
// curves overlaid, one chart per curve name.
import {PLOT_CONFIG, el, every, fmtNumber, getJSON, plotLayout, plotText, runLink, statusBadge} from "./common.js";

const ids = new URLSearchParams(location.search).getAll("id");
const main = document.getElementById("main");
document.getElementById("crumb").textContent = ` / compare ${ids.length} runs`;

function metricsTable(runs) {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  return el("table", {class: "grid compare", id: "compare-metrics"},
    el("thead", {}, el("tr", {}, el("th", {}, "metric"), runs.map((r) => el("th", {}, runLink(r.summary.id), " ",
      statusBadge(r.summary.status, r.summary.status_reason))))),
    el("tbody", {}, keys.map((key) => {
      const values = runs.map((r) => r.metrics[key]);
      const differ = new Set(values.map((v) => JSON.stringify(v))).size > 1;
      return el("tr", {class: differ ? "differ" : ""}, el("th", {}, key), values.map((v) => el("td", {class: "num"}, fmtNumber(v))));
    })));
}

function curves(runs) {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.curves)))].sort();
  if (!names.length) return [el("p", {class: "muted"}, "these runs record no curves")];
  return names.map((name) => {
    const box = el("div", {class: "plot small", dataset: {curve: name}});
    const traces = runs.filter((r) => r.curves[name]).map((r) => ({type: "scatter",
      mode: r.curves[name].mode || "lines", name: plotText(r.summary.id), x: r.curves[name].x, y: r.curves[name].y}));
    const xlabel = runs.find((r) => r.curves[name]).curves[name].xlabel;
    requestAnimationFrame(() => Plotly.newPlot(box, traces, plotLayout({height: 300,
      title: {text: plotText(name), font: {size: 13}}, xaxis: {title: {text: plotText(xlabel || "")}},
      legend: {orientation: "h", y: -0.25}}), PLOT_CONFIG));
    return box;
  });
}

let last = "";
async function refresh() {
  if (!ids.length) { main.replaceChildren(el("p", {}, "select runs on the index to compare them")); return; }
  const query = ids.map((id) => `id=${encodeURIComponent(id)}`).join("&");
  const data = await getJSON(`/api/compare?${query}`);
  const text = JSON.stringify(data);
  if (text === last) return;
  last = text;
  main.replaceChildren(el("section", {}, el("h2", {}, "metrics side by side"), metricsTable(data.runs)),
    el("section", {}, el("h2", {}, "curves overlaid"), el("div", {class: "curves"}, curves(data.runs))));
}

await refresh();
every(3000, refresh);
