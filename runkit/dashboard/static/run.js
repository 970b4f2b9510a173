// One run's page: its status and overrides, then what its kind shows (the research tree, the
// episode videos with their per-step view (episode.js), training curves and plots, the
// leaderboard, deploy traces), then its metrics, files, config and log. Refreshed live while the
// run writes.
import {PLOT_CONFIG, el, every, fileURL, flatten, fmtDuration, fmtNumber, fmtTime, getJSON,
  kvTable, plotLayout, plotText, statusBadge} from "./common.js";
import {episodeSection} from "./episode.js";
import {TreeView, colourModes} from "./tree.js";

const runId = new URLSearchParams(location.search).get("id") || "";
const main = document.getElementById("main");
document.getElementById("crumb").textContent = ` / ${runId}`;
document.title = `${runId} · runs dashboard`;

const section = (title, id, ...children) => el("section", {id}, el("h2", {}, title), ...children);
const pre = (text, cls = "") => el("pre", {class: cls}, text ?? "");

function header(summary) {
  return el("div", {class: "summary", id: "summary"},
    statusBadge(summary.status, summary.status_reason),
    el("span", {class: "entry"}, summary.entry_point),
    el("span", {class: "muted"}, summary.status_reason),
    el("div", {class: "overrides"}, summary.overrides.length ? summary.overrides.join(" ") : "(no overrides)"),
    el("div", {}, `started ${fmtTime(summary.started)} · ${fmtDuration(summary.duration)}`,
      summary.metric ? ` · ${summary.metric.name} = ${fmtNumber(summary.metric.value)}` : ""));
}

function metricsTable(metrics) {
  if (!metrics) return el("p", {class: "muted"}, "no metrics.json yet (it is written when the run ends)");
  const flat = flatten(metrics);
  return kvTable(Object.entries(flat).map(([k, v]) =>
    [k, typeof v === "object" && v !== null ? JSON.stringify(v) : v]));
}

function fileList(files) {
  if (!files.length) return el("p", {class: "muted"}, "no files");
  return el("details", {}, el("summary", {}, `${files.length} files`), el("ul", {class: "files"}, files.map((f) => el("li", {},
    el("a", {href: fileURL(runId, f.name), target: "_blank", rel: "noopener"}, f.name),
    el("span", {class: "muted"}, ` ${(f.bytes / 1024).toFixed(1)} KiB`)))));
}

function images(names) {
  return el("div", {class: "images"}, names.map((name) => el("figure", {},
    el("img", {src: fileURL(runId, name), alt: name, loading: "lazy"}), el("figcaption", {}, name))));
}

// ---- research -----------------------------------------------------------------------------

function diffView(text) {
  if (!text) return el("p", {class: "muted"}, "no parent (a draft), so no diff");
  return el("pre", {class: "diff"}, text.split("\n").map((line) => el("span", {
    class: line.startsWith("+") && !line.startsWith("+++") ? "add"
      : line.startsWith("-") && !line.startsWith("---") ? "del" : line.startsWith("@@") ? "hunk" : "",
  }, line + "\n")));
}

function outputBlock(name, tail) {
  if (!tail) return el("p", {class: "muted"}, `no ${name}`);
  return el("div", {}, tail.truncated ? el("p", {class: "muted"}, `${name}: the last ${tail.text.length} characters of ${tail.bytes ?? "?"} bytes`) : null,
    pre(tail.text || `(empty ${name})`, `output ${name}`));
}

async function showNode(panel, id) {
  panel.replaceChildren(el("p", {class: "muted"}, `loading node ${id}…`));
  const node = await getJSON(`/api/node?id=${encodeURIComponent(runId)}&node=${id}`);
  const metrics = node.metrics || {};
  panel.replaceChildren(
    el("h3", {}, `node ${node.id}: ${node.operator}`, node.parents.length ? ` of ${node.parents.join(", ")}` : ""),
    kvTable([
      [`validation ${metrics.metric ?? "score"}`, metrics.val_score],
      ["buggy", String(node.is_buggy)], ["error", node.error ?? "—"],
      ["run time (s)", node.exec_time], ["grading (s)", node.grade_time],
      ["exit code", node.exit_code], ["timed out", String(node.timed_out)],
      ["finished", fmtTime(node.finished_at)], ["key", node.key],
    ]),
    el("h4", {}, "plan"), pre(node.plan || "(no plan)", "plan"),
    el("h4", {}, "code"), pre(node.code, "code"),
    el("h4", {}, "diff to its parent"), diffView(node.diff),
    el("h4", {}, "stdout"), outputBlock("stdout", node.stdout),
    el("h4", {}, "stderr"), outputBlock("stderr", node.stderr),
    node.analysis ? el("h4", {}, "analysis") : null,
    node.analysis ? pre(typeof node.analysis === "string" ? node.analysis : JSON.stringify(node.analysis, null, 1)) : null);
  panel.dataset.node = String(node.id);
}

function selectionView(selection, onNode) {
  if (!selection) return el("p", {class: "muted"}, "the solution is chosen when the search ends");
  const candidates = selection.candidates || [];
  const ensemble = selection.ensemble;
  const nodeLink = (id) => id === null || id === undefined ? "—"
    : el("a", {href: "#", onclick: (e) => { e.preventDefault(); onNode(id); }}, `node ${id}`);
  const rule = selection.rule === "cross_validation"
    ? `The candidates (the best by validation score, the baseline and the best of each other model family) were rerun on ${selection.folds} folds in a race: all on the first fold, the better half on the rest, as time allowed; the best mean fold score (cv) wins.`
    : selection.rule === "validation" ? "Chosen by its validation score: no cross-validation race (selection.folds below 2, or a task without array data)."
    : `rule: ${selection.rule}`;
  return el("div", {},
    el("p", {}, "chosen: ", nodeLink(selection.chosen), ensemble && ensemble.node === selection.chosen && ensemble.node !== null ? " (the ensemble)" : ""),
    el("p", {class: "muted"}, rule),
    !candidates.length ? null : el("table", {class: "grid"}, el("thead", {}, el("tr", {}, ["candidate", "validation score", "cv score", "fold scores"].map((h) => el("th", {}, h)))),
      el("tbody", {}, candidates.map((c) => el("tr", {class: c.node === selection.chosen ? "chosen" : ""},
        el("td", {}, nodeLink(c.node)), el("td", {class: "num"}, fmtNumber(c.val_score)),
        el("td", {class: "num"}, c.cv_score === null ? "— (out of the race after fold 1)" : fmtNumber(c.cv_score)),
        el("td", {class: "num"}, (c.fold_scores || []).map(fmtNumber).join(", ")))))),
    ensemble ? el("p", {}, `ensemble of ${(ensemble.members || []).map((m) => `node ${m}`).join(", ")}: cv ${fmtNumber(ensemble.cv_score)}; ${ensemble.reason ?? ""}`) : null);
}

async function researchSection(container, firstDelta) {
  const treeBox = el("div", {id: "tree", class: "plot tree"});
  const panel = el("div", {id: "node", class: "node-panel"}, el("p", {class: "muted"}, "click a node to see its plan, code, diff and output"));
  const timeBox = el("div", {id: "score-time", class: "plot"});
  const selectionBox = el("div", {id: "selection"});
  const counter = el("span", {class: "muted", id: "node-count"});
  const view = new TreeView(treeBox, async (id) => {
    const shown = showNode(panel, id);
    view.select(id);
    await shown;
  });
  window.treeView = view;  // for the speed benchmark and the console
  container.append(section("search tree", "research",
    el("div", {class: "toolbar"}, colourModes(view), counter),
    el("div", {class: "split"}, treeBox, panel)),
  section("validation score against time", "score-time-section", timeBox),
  section("the chosen solution and why", "selection-section", selectionBox));

  let lastSelection = "";
  let first = firstDelta;
  const update = async () => {
    const delta = first ? await first : await getJSON(`/api/tree?id=${encodeURIComponent(runId)}&since=${view.nodes.length}`);
    first = null;
    view.direction = delta.direction; view.metric = delta.metric;
    const selection = JSON.stringify(delta.selection);
    const changed = delta.nodes.length || delta.best_node !== view.bestNode || selection !== lastSelection;
    if (!changed && view.drawn) return;
    view.add(delta.nodes);
    view.bestNode = delta.best_node;
    if (selection !== lastSelection) {
      selectionBox.replaceChildren(selectionView(delta.selection, (id) => view.onSelect(id)));
      lastSelection = selection;
    }
    counter.textContent = `${view.nodes.length} nodes · ${view.nodes.filter((n) => n.buggy).length} buggy · ${delta.direction} ${delta.metric ?? ""}`;
    view.draw();
    setTimeout(() => drawScoreTime(timeBox, view.nodes, delta.direction, delta.metric), 0);
  };
  await update();
  every(1000, update);
}

function drawScoreTime(box, nodes, direction, metric) {
  const timed = nodes.filter((n) => n.finished_at !== null);
  if (!timed.length) return;
  const start = Math.min(...timed.map((n) => n.finished_at));
  const scored = timed.filter((n) => n.score !== null).sort((a, b) => a.finished_at - b.finished_at);
  let best = null;
  const bestX = [], bestY = [];
  for (const n of scored) {
    if (best === null || (direction === "minimize" ? n.score < best : n.score > best)) best = n.score;
    bestX.push(n.finished_at - start); bestY.push(best);
  }
  Plotly.react(box, [
    {type: "scatter", mode: "markers", name: "node", x: scored.map((n) => n.finished_at - start),
      y: scored.map((n) => n.score), text: scored.map((n) => `node ${n.id}`), marker: {size: 6}},
    {type: "scatter", mode: "lines", name: "best so far", x: bestX, y: bestY, line: {shape: "hv"}},
  ], plotLayout({height: 300, xaxis: {title: {text: "seconds since the first node"}},
    yaxis: {title: {text: plotText(`validation ${metric ?? "score"}`)}}}), PLOT_CONFIG);
}

// ---- world-model training -----------------------------------------------------------------

function curvesGrid(curves, xlabel = "step", groupOf = (name) => name.split("/").slice(0, -1).join("/") || name,
  labelOf = (name) => name.split("/").pop(), shapes = []) {
  const names = Object.keys(curves).sort();
  if (!names.length) return el("p", {class: "muted"}, "no curves recorded (TensorBoard scalars under tensorboard/)");
  const groups = new Map();
  for (const name of names) {
    const group = groupOf(name);
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(name);
  }
  const grid = el("div", {class: "curves"});
  for (const [group, members] of groups) {
    const box = el("div", {class: "plot small"});
    grid.append(box);
    requestAnimationFrame(() => Plotly.newPlot(box, members.map((name) => ({type: "scatter", mode: "lines+markers", marker: {size: 4},
      name: plotText(labelOf(name)), x: curves[name].x, y: curves[name].y})),
    plotLayout({height: 260, title: {text: plotText(group), font: {size: 13}}, xaxis: {title: {text: xlabel}}, shapes}), PLOT_CONFIG));
  }
  return grid;
}

function worldmodelSection(container, wm) {
  container.append(section("training curves", "training", curvesGrid(wm.curves)),
    section("open-loop prediction errors (MSE)", "open-loop", wm.open_loop_mse ? pre(JSON.stringify(wm.open_loop_mse, null, 1))
      : el("p", {class: "muted"}, "written when training ends (models with decoders)")),
    section("prediction plots", "plots", wm.plots.length ? images(wm.plots) : el("p", {class: "muted"}, "no plots yet (plots/*.png)")));
}

// ---- leaderboard --------------------------------------------------------------------------

function leaderboardSection(container, lb) {
  if (!lb.board) { container.append(section("leaderboard", "leaderboard", el("p", {class: "muted"}, "no leaderboard.json yet"))); return; }
  const columns = Object.entries(lb.columns);
  const tasks = lb.board.tasks || [];
  const table = el("table", {class: "grid leaderboard"},
    el("thead", {}, el("tr", {}, el("th", {}, "rank"), el("th", {}, "agent"), el("th", {}, "runs"),
      columns.map(([, c]) => el("th", {title: c.means}, c.title)), tasks.map((t) => el("th", {}, `test: ${t}`)))),
    el("tbody", {}, lb.board.agents.map((row, i) => el("tr", {}, el("td", {}, i + 1), el("td", {}, row.agent), el("td", {}, row.runs),
      columns.map(([key]) => row[key] === null || row[key] === undefined
        ? el("td", {class: "empty", title: row.why_empty[key]}, "— ", el("span", {class: "why"}, `(${row.why_empty[key]})`))
        : el("td", {class: "num"}, fmtNumber(row[key]))),
      tasks.map((t) => el("td", {class: "num"}, fmtNumber(row.test_scores[t])))))));
  const legend = el("dl", {class: "legend"}, columns.flatMap(([, c]) => [el("dt", {}, c.title), el("dd", {}, c.means)]));
  container.append(section(`leaderboard (ranked by ${lb.board.method}, ${lb.board.runs} runs)`, "leaderboard", table, legend));
}

// ---- deploy -------------------------------------------------------------------------------

function deploySection(container, deploy) {
  const names = Object.keys(deploy.traces || {});
  const events = deploy.events || [];
  // watchdog stops and other events as red lines on every trace's time axis
  const shapes = events.map((e) => ({type: "line", xref: "x", yref: "paper", x0: e.t, x1: e.t, y0: 0, y1: 1,
    line: {color: "#d73a49", width: 1, dash: "dot"}}));
  container.append(section("session traces (session.bag)", "deploy",
    deploy.note ? el("p", {class: "muted"}, deploy.note) : null,
    names.length ? curvesGrid(deploy.traces, "seconds since the first message", (n) => n.split(" ")[0],
      (n) => n.split(" ").slice(1).join(" "), shapes) : null,
    events.length ? el("div", {}, el("h3", {}, "events (red dotted lines)"), el("table", {class: "grid"},
      el("tbody", {}, events.map((e) => el("tr", {}, el("td", {class: "num"}, `${e.t.toFixed(3)} s`),
        el("td", {}, JSON.stringify(e.event))))))) : null));
}

// ---- the page -----------------------------------------------------------------------------

async function start() {
  let data;
  // a research run's tree is asked for beside the run (a 404 for other kinds is ignored)
  const tree = getJSON(`/api/tree?id=${encodeURIComponent(runId)}&since=0`);
  tree.catch(() => null);
  try { data = await getJSON(`/api/run?id=${encodeURIComponent(runId)}`); }
  catch (error) { main.replaceChildren(el("p", {class: "error"}, `no such run: ${runId}`)); return; }
  const kindBox = el("div", {id: "kind"});
  const metricsBox = el("div", {id: "metrics"});
  const filesBox = el("div", {id: "files"});
  const logBox = pre("", "log");
  logBox.id = "log";
  // the run's own images (prediction plots have their section on training runs)
  const pictures = data.files.filter((f) => f.kind === "image" && !f.name.startsWith("plots/")).map((f) => f.name);
  main.replaceChildren(header(data.summary), kindBox,
    section("metrics", "metrics-section", metricsBox),
    pictures.length ? section("images", "images", images(pictures)) : "",
    section("files", "files-section", filesBox),
    data.report ? section("report", "report", pre(data.report, "report")) : "",
    section("config", "config", pre(data.config ?? "(no config.yaml)", "config")),
    section("log (the last 20 kB of run.log)", "log-section", logBox));
  const kind = data.summary.kind;
  if (kind === "research") await researchSection(kindBox, tree);
  else if (kind === "episode") episodeSection(kindBox, runId, data.episode);
  else if (kind === "train_worldmodel") worldmodelSection(kindBox, data.worldmodel);
  else if (kind === "leaderboard") leaderboardSection(kindBox, data.leaderboard);
  else if (kind === "deploy") deploySection(kindBox, data.deploy);
  const seen = {episode: JSON.stringify(data.episode?.videos)};
  const fill = (d) => {
    const videos = JSON.stringify(d.episode?.videos);
    if (kind === "episode" && videos !== seen.episode) {  // a new episode's video was written
      seen.episode = videos;
      kindBox.replaceChildren();
      episodeSection(kindBox, runId, d.episode);
    }
    const parts = {metrics: [metricsBox, () => metricsTable(d.metrics)], files: [filesBox, () => fileList(d.files)]};
    for (const [key, [box, make]] of Object.entries(parts)) {
      const text = JSON.stringify(d[key]);
      if (seen[key] !== text) { seen[key] = text; box.replaceChildren(make()); }
    }
    if (logBox.textContent !== (d.log ?? "")) {
      const atEnd = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
      logBox.textContent = d.log ?? "(no run.log)";
      if (atEnd) logBox.scrollTop = logBox.scrollHeight;
    }
    document.getElementById("summary").replaceWith(header(d.summary));
  };
  fill(data);
  every(2000, async () => fill(await getJSON(`/api/run?id=${encodeURIComponent(runId)}`)));
}

start();
