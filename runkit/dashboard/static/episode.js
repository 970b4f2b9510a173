// The episode view: each recorded video with a scrubber and, beside it, what happened at the
// step on screen (reward, return, measures, the agent's goal posterior as bars, the last
// question and its answer, the plan), from the run's steps.jsonl (/api/steps). Video time t
// shows step floor(t * fps) (0: the reset). Every string from the run goes in as text.
import {PLOT_CONFIG, el, fileURL, fmtNumber, getJSON, kvTable, plotLayout, plotText} from "./common.js";

const section = (title, id, ...children) => el("section", {id}, el("h2", {}, title), ...children);

/** For each step, the index of the last step (<= it) whose explanation holds a question. */
function lastQuestions(steps) {
  const out = [];
  let last = -1;
  steps.forEach((s, i) => { if (s.explain && s.explain.question != null) last = i; out.push(last); });
  return out;
}

function drawPosterior(box, posterior) {
  const names = Object.keys(posterior).sort();
  const probs = names.map((n) => posterior[n]);
  const top = Math.max(...probs);
  Plotly.react(box, [{
    type: "bar", orientation: "h", y: names.map((n) => plotText(n)), x: probs,
    text: probs.map((p) => `${(100 * p).toFixed(0)}%`), textposition: "auto", cliponaxis: false,
    marker: {color: probs.map((p) => (p === top ? "#f0a030" : "#5a9bf6"))}, hoverinfo: "x+y",
  }], plotLayout({height: 40 + 24 * names.length, margin: {l: 120, r: 20, t: 10, b: 30},
    xaxis: {range: [0, 1], tickformat: ".0%", fixedrange: true},
    yaxis: {autorange: "reversed", fixedrange: true}, bargap: 0.25}), {...PLOT_CONFIG, displayModeBar: false});
}

function drawCurves(box, steps) {
  const x = steps.map((s) => s.step);
  Plotly.newPlot(box, [
    {type: "scatter", mode: "lines", name: "return", x, y: steps.map((s) => s.return)},
    {type: "scatter", mode: "lines", name: "reward", x, y: steps.map((s) => s.reward), yaxis: "y2"},
  ], plotLayout({height: 220, xaxis: {title: {text: "step"}}, yaxis: {title: {text: "return"}},
    yaxis2: {title: {text: "reward"}, overlaying: "y", side: "right"}, legend: {orientation: "h", y: 1.15},
    margin: {l: 55, r: 55, t: 30, b: 40}}), PLOT_CONFIG);
}

function episodeBlock(runId, name, index, stats, fps, hasSteps) {
  const length = stats.length || 0;
  const video = el("video", {src: fileURL(runId, name), controls: true, muted: true, playsinline: true,
    preload: "metadata", class: "episode-video"});
  const scrubber = el("input", {type: "range", min: 0, max: length, value: 0, step: 1, class: "scrubber",
    "aria-label": "step"});
  const label = el("span", {class: "step-label"}, `step 0 / ${length}`);
  const head = el("div", {class: "step-head"}, "start (the reset, before the first step)");
  const posteriorBox = el("div", {class: "plot posterior"});
  const question = el("p", {class: "question"});
  const answer = el("p", {class: "answer"});
  const plan = el("p", {class: "plan explained"});
  const measures = el("div", {class: "measures"});
  const curves = el("div", {class: "plot step-curves"});
  const panel = el("div", {class: "step-panel", dataset: {step: "0"}}, head,
    el("h4", {class: "explained"}, "goal posterior"), posteriorBox,
    el("h4", {}, "question and answer"), el("div", {class: "qa"}, question, answer),
    el("h4", {class: "explained"}, "plan"), plan, el("h4", {}, "measures"), measures);
  const note = el("p", {class: "muted steps-note"}, hasSteps ? "loading the steps…"
    : "no steps.jsonl in this run (runs from before per-step records, or executor=ray)");

  let steps = [], byStep = new Map(), asked = [], shown = -1;
  const rate = () => fps || (video.duration ? (length + 1) / video.duration : 0);
  const stepAt = (time) => Math.min(length, Math.max(0, Math.floor(time * rate() + 1e-3)));

  function show(k) {
    if (k === shown) return;
    shown = k;
    panel.dataset.step = String(k);
    scrubber.value = String(k);
    label.textContent = `step ${k} / ${length}`;
    const position = byStep.has(k) ? byStep.get(k) : -1;
    const s = position >= 0 ? steps[position] : null;
    head.textContent = !s ? (k === 0 ? "start (the reset, before the first step)" : `step ${k}: not recorded`)
      : `step ${k} · reward ${fmtNumber(s.reward)} · return ${fmtNumber(s.return)}`;
    const explain = s && s.explain;
    const posterior = explain && explain.posterior;
    if (posterior && Object.keys(posterior).length) { posteriorBox.hidden = false; drawPosterior(posteriorBox, posterior); }
    else { posteriorBox.hidden = true; }
    const last = position >= 0 ? asked[position] : -1;
    if (last >= 0) {
      const q = steps[last];
      question.textContent = `Q (step ${q.step}): ${q.explain.question}`;
      answer.textContent = `A: ${q.explain.answer ?? "(no answer)"}`;
    } else {
      question.textContent = steps.some((x) => x.explain) ? "no question asked yet" : "this agent does not explain its steps";
      answer.textContent = "";
    }
    plan.textContent = explain && explain.plan ? explain.plan : "—";
    const entries = s ? Object.entries(s.measures) : [];
    measures.replaceChildren(entries.length ? kvTable(entries) : el("span", {class: "muted"}, "none recorded"));
    if (curves.data) Plotly.relayout(curves, {shapes: [{type: "line", xref: "x", yref: "paper", x0: k, x1: k,
      y0: 0, y1: 1, line: {color: "#d73a49", width: 1}}]});
  }

  const follow = () => show(stepAt(video.currentTime));
  video.addEventListener("timeupdate", follow);
  video.addEventListener("seeked", follow);
  if (video.requestVideoFrameCallback) {  // every shown frame while playing
    const onFrame = (_, meta) => { show(stepAt(meta.mediaTime)); video.requestVideoFrameCallback(onFrame); };
    video.requestVideoFrameCallback(onFrame);
  }
  scrubber.addEventListener("input", () => {
    const k = Number(scrubber.value);
    if (rate()) video.currentTime = (k + 0.5) / rate();
    show(k);
  });

  if (hasSteps) {
    getJSON(`/api/steps?id=${encodeURIComponent(runId)}&episode=${index}`).then((data) => {
      steps = data.steps;
      byStep = new Map(steps.map((s, i) => [s.step, i]));
      asked = lastQuestions(steps);
      panel.classList.toggle("unexplained", !steps.some((x) => x.explain));  // hides posterior, plan
      note.textContent = `${steps.length} steps recorded${data.truncated ? " (steps.jsonl was cut at its size limit)" : ""}`;
      if (steps.length) drawCurves(curves, steps);
      const k = shown < 0 ? 0 : shown;
      shown = -1;
      show(k);
      panel.dataset.loaded = "true";
    }).catch((error) => { note.textContent = `cannot read the steps: ${error.message}`; });
  } else {
    show(0);
  }
  return el("div", {class: "episode", id: `episode-${index}`}, el("h3", {}, `episode ${index}`),
    el("div", {class: "episode-view"},
      el("div", {class: "episode-media"}, video, el("div", {class: "scrub"}, scrubber, label), note),
      panel),
    curves, el("details", {}, el("summary", {}, "episode totals"), kvTable(Object.entries(stats))));
}

export function episodeSection(container, runId, episode) {
  const blocks = episode.videos.map((name, i) => {
    const number = Number((name.match(/episode_(\d+)\.mp4$/) || [])[1] ?? i);
    return episodeBlock(runId, name, number, episode.episodes[number] || {}, episode.fps, episode.steps);
  });
  const table = episode.episodes.length ? el("table", {class: "grid"},
    el("thead", {}, el("tr", {}, el("th", {}, "episode"), Object.keys(episode.episodes[0]).map((k) => el("th", {}, k)))),
    el("tbody", {}, episode.episodes.map((e, i) => el("tr", {}, el("td", {}, i), Object.values(e).map((v) => el("td", {}, fmtNumber(v)))))))
    : el("p", {class: "muted"}, "no episodes finished yet");
  container.append(section("episodes", "episodes",
    blocks.length ? el("div", {class: "videos"}, blocks) : el("p", {class: "muted"}, "no videos recorded (record=false?)"),
    table));
}
