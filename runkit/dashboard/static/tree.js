// The research run's search tree: a tidy layout (leaves side by side, a parent above the middle
// of its children) drawn with Plotly; nodes coloured by validation score, operator or status.
import {PLOT_CONFIG, el, fmtNumber, plotLayout, plotText} from "./common.js";

const OPERATOR_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
  "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

/** Positions {id: [x, y]} of the nodes (y = -depth); roots hang under a virtual root (-1). */
export function layout(nodes) {
  const children = new Map([[-1, []]]);
  const known = new Set(nodes.map((n) => n.id));
  for (const node of nodes) {
    const parent = node.parents.length && known.has(node.parents[0]) ? node.parents[0] : -1;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(node.id);
  }
  const pos = new Map();
  let nextLeaf = 0;
  // iterative post-order walk: x of leaves in order, parents centred over their children
  const stack = [[-1, 0, false]];
  while (stack.length) {
    const [id, depth, done] = stack.pop();
    const kids = children.get(id) || [];
    if (!done && kids.length) {
      stack.push([id, depth, true]);
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1, false]);
      continue;
    }
    const x = kids.length ? (pos.get(kids[0])[0] + pos.get(kids[kids.length - 1])[0]) / 2 : nextLeaf++;
    pos.set(id, [x, -depth]);
  }
  return pos;
}

// above this many nodes the tree is drawn with WebGL (scattergl) when the browser has it:
// about three times faster than SVG for 2,000 nodes
const WEBGL_ABOVE = 400;
const HAS_WEBGL = (() => {
  try { return !!document.createElement("canvas").getContext("webgl"); } catch { return false; }
})();

export class TreeView {
  constructor(container, onSelect) {
    this.container = container;
    this.onSelect = onSelect;
    this.nodes = [];
    this.byId = new Map();
    this.mode = "score";
    this.direction = "maximize";
    this.metric = "score";
    this.bestNode = null;
    this.selected = null;
    this.drawn = false;
  }

  add(nodes) {
    for (const node of nodes) { this.nodes.push(node); this.byId.set(node.id, node); }
  }

  traces() {
    const type = HAS_WEBGL && this.nodes.length > WEBGL_ABOVE ? "scattergl" : "scatter";
    return this.buildTraces().map((t) => ({...t, type}));
  }

  buildTraces() {
    const pos = layout(this.nodes);
    const edgeX = [], edgeY = [];
    for (const node of this.nodes) {
      const parent = node.parents.length && this.byId.has(node.parents[0]) ? node.parents[0] : -1;
      const [x0, y0] = pos.get(parent), [x1, y1] = pos.get(node.id);
      edgeX.push(x0, x1, null); edgeY.push(y0, y1, null);
    }
    const [rx, ry] = pos.get(-1);
    const traces = [
      {type: "scatter", mode: "lines", x: edgeX, y: edgeY, hoverinfo: "skip", showlegend: false,
        line: {color: "#bbb", width: 1}},
      {type: "scatter", mode: "markers", x: [rx], y: [ry], text: ["task (root)"], hoverinfo: "text",
        marker: {size: 10, color: "#444", symbol: "diamond"}, showlegend: false},
    ];
    const point = (list) => ({
      x: list.map((n) => pos.get(n.id)[0]), y: list.map((n) => pos.get(n.id)[1]),
      customdata: list.map((n) => n.id),
      text: list.map((n) => plotText(`node ${n.id} · ${n.operator} · ${n.buggy ? "buggy" : fmtNumber(n.score)}`)),
      hoverinfo: "text", type: "scatter", mode: "markers",
    });
    if (this.mode === "score") {
      const ok = this.nodes.filter((n) => !n.buggy && n.score !== null);
      const bad = this.nodes.filter((n) => n.buggy || n.score === null);
      traces.push({...point(ok), name: "scored", marker: {size: 11, color: ok.map((n) => n.score),
        colorscale: "Viridis", reversescale: this.direction === "minimize", showscale: true,
        colorbar: {title: {text: plotText(this.metric || "score")}, thickness: 12},
        line: {color: "#333", width: 0.5}}});
      traces.push({...point(bad), name: "buggy", marker: {size: 9, color: "#d62728", symbol: "x"}});
    } else if (this.mode === "operator") {
      const operators = [...new Set(this.nodes.map((n) => n.operator))].sort();
      operators.forEach((op, i) => {
        const list = this.nodes.filter((n) => n.operator === op);
        traces.push({...point(list), name: plotText(op), marker: {size: 11,
          color: OPERATOR_COLOURS[i % OPERATOR_COLOURS.length], line: {color: "#333", width: 0.5}}});
      });
    } else {
      const groups = [["ran", (n) => !n.buggy, "#2ca02c"], ["timed out", (n) => n.timed_out, "#ff7f0e"],
        ["buggy", (n) => n.buggy && !n.timed_out, "#d62728"]];
      for (const [name, test, colour] of groups) {
        traces.push({...point(this.nodes.filter(test)), name, marker: {size: 11, color: colour}});
      }
    }
    if (this.bestNode !== null && this.byId.has(this.bestNode)) {
      const [x, y] = pos.get(this.bestNode);
      traces.push({type: "scatter", mode: "markers", x: [x], y: [y], name: "chosen solution",
        hoverinfo: "skip", marker: {size: 22, symbol: "star", color: "#ffbf00", line: {color: "#000", width: 2}}});
    }
    // the selected node's ring: always the last trace, moved by select() without a redraw
    this.positions = pos;
    const [sx, sy] = this.selected !== null && pos.has(this.selected) ? pos.get(this.selected) : [null, null];
    traces.push({type: "scatter", mode: "markers", x: [sx], y: [sy], name: "selected", hoverinfo: "skip",
      showlegend: sx !== null, marker: {size: 20, symbol: "circle-open", color: "#000", line: {width: 3}}});
    return traces;
  }

  /** Ring node ``id`` as selected (restyles one trace; the rest is not redrawn). */
  select(id) {
    this.selected = id;
    if (!this.drawn || !this.positions?.has(id)) return;
    const [x, y] = this.positions.get(id);
    const last = this.container.data.length - 1;
    Plotly.restyle(this.container, {x: [[x]], y: [[y]], showlegend: true}, [last]);
  }

  draw() {
    const started = performance.now();
    const layoutOptions = plotLayout({
      height: 460, hovermode: "closest", dragmode: "pan", uirevision: "tree",
      xaxis: {visible: false}, yaxis: {visible: false},
      legend: {orientation: "h", y: -0.05},
    });
    Plotly.react(this.container, this.traces(), layoutOptions, {...PLOT_CONFIG, scrollZoom: true});
    if (!this.drawn) {
      this.container.on("plotly_click", (event) => {
        const id = event.points?.[0]?.customdata;
        if (typeof id === "number") this.onSelect(id);
      });
      this.drawn = true;
    }
    this.container.dataset.nodes = String(this.nodes.length);
    window.treeDrawMs = performance.now() - started;
  }
}

/** Buttons choosing what colours the nodes. */
export function colourModes(view) {
  const select = el("select", {id: "colour-by", onchange: (e) => { view.mode = e.target.value; view.draw(); }},
    el("option", {value: "score"}, "colour by validation score"),
    el("option", {value: "operator"}, "colour by operator"),
    el("option", {value: "status"}, "colour by status"));
  return select;
}
