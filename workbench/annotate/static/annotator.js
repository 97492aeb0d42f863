// Front end of workbench.annotate widgets (anywidget ESM; no build step).
// It renders `current` and writes what the annotator did into `submission`;
// all validation and storage happen in Python. Keys are handled only while
// focus is inside the widget, and handled keys never reach JupyterLab
// (stopPropagation + data-lm-suppress-shortcuts), so command-mode shortcuts
// such as "a", "b", "d d" or "1" cannot fire by accident.

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let nonceCounter = 0;

// ---- pairwise ------------------------------------------------------------------
function pairwiseView(ctx, current) {
  const strength = ctx.model.get("options").strength;
  const card = (side, text) => h("div", { class: "wb-card", "data-side": side },
    h("div", { class: "wb-label" }, `Response ${side}`), h("div", { class: "wb-text" }, text));
  const choose = (choice, level) => () => ctx.send("submit", { choice, strength: strength ? level : null });
  const buttons = strength
    ? [h("button", { "data-choice": "A-much", onclick: choose("A", "much") }, "A much better"),
       h("button", { "data-choice": "A", onclick: choose("A", "slightly") }, "A slightly better")]
    : [h("button", { "data-choice": "A", onclick: choose("A", null) }, "A is better")];
  buttons.push(h("button", { "data-choice": "tie_good", onclick: choose("tie_good", null) }, "Both good"),
    h("button", { "data-choice": "tie_bad", onclick: choose("tie_bad", null) }, "Both bad"));
  buttons.push(...(strength
    ? [h("button", { "data-choice": "B", onclick: choose("B", "slightly") }, "B slightly better"),
       h("button", { "data-choice": "B-much", onclick: choose("B", "much") }, "B much better")]
    : [h("button", { "data-choice": "B", onclick: choose("B", null) }, "B is better")]));
  return h("div", {},
    h("div", { class: "wb-pair" }, card("A", current.items[0]), card("B", current.items[1])),
    h("div", { class: "wb-actions" }, buttons, commonButtons(ctx)),
    h("div", { class: "wb-keys" }, "Keys: 1/← A, 2/→ B" + (strength ? " (Shift: much better)" : "") +
      ", g both good, n both bad, s skip, u undo"));
}

function pairwiseKey(ctx, event) {
  const strength = ctx.model.get("options").strength;
  const level = strength ? (event.shiftKey ? "much" : "slightly") : null;
  const key = event.key;
  if (key === "1" || key === "!" || key === "ArrowLeft") ctx.send("submit", { choice: "A", strength: level });
  else if (key === "2" || key === "@" || key === "ArrowRight") ctx.send("submit", { choice: "B", strength: level });
  else if (key === "g") ctx.send("submit", { choice: "tie_good", strength: null });
  else if (key === "n") ctx.send("submit", { choice: "tie_bad", strength: null });
  else return false;
  return true;
}

// ---- ranking -------------------------------------------------------------------
function resetRanking(ctx, k) {
  const topK = ctx.model.get("options").top_k;
  ctx.ui = { groups: topK ? [] : [...Array(k).keys()].map((p) => [p]),
    pool: topK ? [...Array(k).keys()] : [], held: null, focus: 0 };
}

function removeItem(ctx, p) {
  // Take p out; returns the index of a group that disappeared (or -1).
  const inPool = ctx.ui.pool.indexOf(p);
  if (inPool >= 0) { ctx.ui.pool.splice(inPool, 1); return -1; }
  const g = ctx.ui.groups.findIndex((group) => group.includes(p));
  ctx.ui.groups[g].splice(ctx.ui.groups[g].indexOf(p), 1);
  if (ctx.ui.groups[g].length === 0) { ctx.ui.groups.splice(g, 1); return g; }
  return -1;
}
function toNewGroup(ctx, p, g) {   // g counted before p was taken out
  const gone = removeItem(ctx, p);
  if (gone >= 0 && gone < g) g -= 1;
  ctx.ui.groups.splice(Math.max(0, Math.min(g, ctx.ui.groups.length)), 0, [p]);
}
function toGroup(ctx, p, g) {
  if (!ctx.model.get("options").allow_ties) return toNewGroup(ctx, p, g);
  if (ctx.ui.groups[g] && ctx.ui.groups[g].includes(p)) return;
  const gone = removeItem(ctx, p);
  if (gone >= 0 && gone < g) g -= 1;
  ctx.ui.groups[g].push(p);
}
function toPool(ctx, p) { removeItem(ctx, p); ctx.ui.pool.push(p); }
function groupOf(ctx, p) { return ctx.ui.groups.findIndex((group) => group.includes(p)); }

function rankingView(ctx, current) {
  const topK = ctx.model.get("options").top_k;
  const drop = (handler) => ({
    ondragover: (e) => { e.preventDefault(); e.currentTarget.classList.add("wb-over"); },
    ondragleave: (e) => e.currentTarget.classList.remove("wb-over"),
    ondrop: (e) => { e.preventDefault(); const p = Number(e.dataTransfer.getData("text/plain"));
      handler(p); ctx.ui.focus = p; ctx.redraw(); },
  });
  const item = (p) => h("div", {
    class: "wb-item" + (ctx.ui.held === p ? " wb-held" : ""), "data-pos": String(p), tabindex: "0",
    draggable: "true", role: "listitem", "aria-grabbed": ctx.ui.held === p ? "true" : "false",
    ondragstart: (e) => { e.dataTransfer.setData("text/plain", String(p)); e.dataTransfer.effectAllowed = "move"; },
    onfocus: () => { ctx.ui.focus = p; },
  }, h("span", { class: "wb-handle" }, "⠿"), h("div", { class: "wb-text" }, current.items[p]));
  const list = h("div", { class: "wb-ranking", role: "list" });
  ctx.ui.groups.forEach((group, g) => {
    list.append(h("div", { class: "wb-gap", "data-gap": String(g), ...drop((p) => toNewGroup(ctx, p, g)) }));
    list.append(h("div", { class: "wb-rank", "data-rank": String(g), ...drop((p) => toGroup(ctx, p, g)) },
      h("div", { class: "wb-rank-label" }, `#${g + 1}` + (group.length > 1 ? " (tie)" : "")),
      h("div", { class: "wb-rank-items" }, group.map(item))));
  });
  list.append(h("div", { class: "wb-gap", "data-gap": String(ctx.ui.groups.length),
    ...drop((p) => toNewGroup(ctx, p, ctx.ui.groups.length)) }));
  const parts = [list];
  if (topK) {
    parts.push(h("div", { class: "wb-pool", ...drop((p) => toPool(ctx, p)) },
      h("div", { class: "wb-label" }, `Not ranked (rank the best ${topK})`), ctx.ui.pool.map(item)));
  }
  parts.push(h("div", { class: "wb-actions" },
    h("button", { class: "wb-submit", onclick: () => submitRanking(ctx) }, "Submit ranking"), commonButtons(ctx)));
  parts.push(h("div", { class: "wb-keys" }, "Keys: ↑/↓ focus, Space pick up/drop, ↑/↓ while held move, " +
    "= tie with the rank above, 1-9 put at rank, Enter submit, s skip, u undo. Or drag: onto a rank = tie, between ranks = new rank."));
  return h("div", {}, parts);
}

function submitRanking(ctx) { ctx.send("submit", { groups: ctx.ui.groups.map((g) => [...g]) }); }

function rankingKey(ctx, event) {
  const order = [...ctx.ui.groups.flat(), ...ctx.ui.pool];
  const p = ctx.ui.focus ?? order[0];
  const at = order.indexOf(p);
  const key = event.key;
  const g = groupOf(ctx, p);
  if (key === " ") ctx.ui.held = ctx.ui.held === p ? null : p;
  else if (key === "Escape" && ctx.ui.held !== null) ctx.ui.held = null;
  else if ((key === "ArrowUp" || key === "ArrowDown") && ctx.ui.held === null) {
    ctx.ui.focus = order[Math.max(0, Math.min(order.length - 1, at + (key === "ArrowUp" ? -1 : 1)))];
    ctx.redraw();
    return true;
  } else if (key === "ArrowUp") {
    if (g < 0) toNewGroup(ctx, p, ctx.ui.groups.length);
    else if (ctx.ui.groups[g].length > 1) toNewGroup(ctx, p, g);
    else if (g > 0) toNewGroup(ctx, p, g - 1);
  } else if (key === "ArrowDown") {
    if (g >= 0 && ctx.ui.groups[g].length > 1) toNewGroup(ctx, p, g + 1);
    else if (g >= 0 && g < ctx.ui.groups.length - 1) toNewGroup(ctx, p, g + 2);
    else if (g >= 0 && ctx.model.get("options").top_k) toPool(ctx, p);
  } else if (key === "=") {
    if (g < 0 && ctx.ui.groups.length) toGroup(ctx, p, ctx.ui.groups.length - 1);
    else if (g > 0) toGroup(ctx, p, g - 1);
  } else if (/^[1-9]$/.test(key)) {
    removeItem(ctx, p);
    ctx.ui.groups.splice(Math.min(Number(key) - 1, ctx.ui.groups.length), 0, [p]);
  } else if (key === "Enter") { submitRanking(ctx); return true; }
  else return false;
  ctx.ui.focus = p;
  ctx.redraw();
  return true;
}

// ---- steps ---------------------------------------------------------------------
function stepView(ctx, current) {
  const rate = (i, value) => () => { ctx.ui.ratings[i] = value; ctx.ui.focus = i; ctx.redraw(); };
  const rows = current.items.map((text, i) => h("div", {
    class: "wb-step", "data-pos": String(i), tabindex: "0", onfocus: () => { ctx.ui.focus = i; } },
    h("span", { class: "wb-step-number" }, `${i + 1}.`), h("div", { class: "wb-text" }, text),
    h("div", { class: "wb-step-buttons" },
      [[1, "+1"], [0, "0"], [-1, "−1"]].map(([value, text]) => h("button", {
        class: "wb-rate" + (ctx.ui.ratings[i] === value ? " wb-selected" : ""), "data-rating": String(value),
        onclick: rate(i, value) }, text)),
      h("button", { class: "wb-first-wrong", title: "f",
        onclick: () => ctx.send("submit", { first_wrong: i }) }, "First wrong step"))));
  return h("div", {}, h("div", { class: "wb-steps" }, rows),
    h("div", { class: "wb-actions" },
      h("button", { class: "wb-all-correct", title: "c", onclick: () => ctx.send("submit", { first_wrong: -1 }) }, "All correct"),
      h("button", { class: "wb-submit", onclick: () => ctx.send("submit", { ratings: [...ctx.ui.ratings] }) }, "Submit ratings"),
      commonButtons(ctx)),
    h("div", { class: "wb-keys" }, "Keys: ↑/↓ step, + / 0 / - rate, f first wrong step, c all correct, Enter submit, s skip, u undo"));
}

function stepKey(ctx, event) {
  const n = ctx.ui.ratings.length;
  const i = ctx.ui.focus ?? 0;
  const key = event.key;
  if (key === "ArrowUp" || key === "ArrowDown") ctx.ui.focus = Math.max(0, Math.min(n - 1, i + (key === "ArrowUp" ? -1 : 1)));
  else if (key === "+" || key === "=") ctx.ui.ratings[i] = 1;
  else if (key === "0") ctx.ui.ratings[i] = 0;
  else if (key === "-") ctx.ui.ratings[i] = -1;
  else if (key === "f") { ctx.send("submit", { first_wrong: i }); return true; }
  else if (key === "c") { ctx.send("submit", { first_wrong: -1 }); return true; }
  else if (key === "Enter") { ctx.send("submit", { ratings: [...ctx.ui.ratings] }); return true; }
  else return false;
  ctx.redraw();
  return true;
}

function commonButtons(ctx) {
  return [
    h("button", { class: "wb-skip", title: "s", onclick: () => ctx.send("skip") }, "Skip"),
    h("button", { class: "wb-undo", title: "u", disabled: !ctx.model.get("can_undo"),
      onclick: () => ctx.send("undo") }, "Undo last"),
  ];
}

function drawHeader(ctx, header) {
  const model = ctx.model;
  const progress = model.get("progress") || { done: 0, total: 0 };
  const fraction = progress.total ? progress.done / progress.total : 0;
  header.replaceChildren(
    h("details", { class: "wb-guidelines" }, h("summary", {}, "Guidelines"),
      h("div", {}, model.get("guidelines"))),
    h("div", { class: "wb-progress" },
      h("span", { class: "wb-annotator" }, model.get("annotator")),
      h("progress", { max: "1", value: String(fraction) }),
      h("span", { class: "wb-count" }, `${progress.done} / ${progress.total}`)),
    h("div", { class: "wb-message", role: "status" }, model.get("message") || ""),
  );
}

function drawBody(ctx, body) {
  const current = ctx.model.get("current") || {};
  if (current.id === undefined) {
    body.replaceChildren(h("div", { class: "wb-done" }, "All tasks done."),
      h("div", { class: "wb-actions" }, commonButtons(ctx)[1]));
    return;
  }
  const prompt = h("div", { class: "wb-prompt" }, h("div", { class: "wb-label" }, "Prompt"),
    h("div", { class: "wb-text" }, current.prompt));
  const views = { pairwise: pairwiseView, ranking: rankingView, step: stepView };
  body.replaceChildren(prompt, views[ctx.model.get("kind")](ctx, current));
  if (ctx.ui.focus !== undefined) {
    const target = body.querySelector(`[data-pos="${ctx.ui.focus}"]`);
    if (target) target.focus();
  }
}

function onKey(ctx, root, event) {
  if (!root.contains(document.activeElement) || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Tab") return;
  const keys = { pairwise: pairwiseKey, ranking: rankingKey, step: stepKey };
  let handled = false;
  if (event.key === "s") { ctx.send("skip"); handled = true; }
  else if (event.key === "u") { ctx.send("undo"); handled = true; }
  else if ((ctx.model.get("current") || {}).id !== undefined) handled = keys[ctx.model.get("kind")](ctx, event);
  if (event.key === "Escape" && !handled) return;   // JupyterLab may use it to leave the output
  // Every other key typed inside the widget stays inside it: plain keys are
  // JupyterLab command-mode shortcuts (a, b, x, d d, 0-9...).
  event.stopPropagation();
  if (handled || event.key === " ") event.preventDefault();
}

function render({ model, el }) {
  const root = h("div", { class: "wb-annot", tabindex: "0", "data-lm-suppress-shortcuts": "true" });
  const header = h("div", { class: "wb-header" });
  const body = h("div", { class: "wb-body" });
  root.append(header, body);
  el.appendChild(root);
  const ctx = { model, ui: {}, shownAt: performance.now() };
  ctx.redraw = () => drawBody(ctx, body);
  ctx.send = (action, extra = {}) => {
    nonceCounter += 1;
    model.set("submission", {
      action, nonce: `${Date.now()}-${nonceCounter}`, task_id: (model.get("current") || {}).id ?? null,
      elapsed_ms: Math.round(performance.now() - ctx.shownAt), ...extra,
    });
    model.save_changes();
  };
  const onCurrent = () => {
    ctx.shownAt = performance.now();
    const k = ((model.get("current") || {}).items || []).length;
    if (model.get("kind") === "ranking") resetRanking(ctx, k);
    else ctx.ui = { ratings: Array(k).fill(null), focus: undefined };
    ctx.redraw();
  };
  const onHeader = () => drawHeader(ctx, header);
  const onUndoable = () => { onHeader(); ctx.redraw(); };
  const keydown = (event) => onKey(ctx, root, event);
  root.addEventListener("keydown", keydown);
  model.on("change:current", onCurrent);
  model.on("change:progress", onHeader);
  model.on("change:message", onHeader);
  model.on("change:can_undo", onUndoable);
  onHeader();
  onCurrent();
  return () => {
    model.off("change:current", onCurrent);
    model.off("change:progress", onHeader);
    model.off("change:message", onHeader);
    model.off("change:can_undo", onUndoable);
    root.removeEventListener("keydown", keydown);
  };
}

export default { render };
