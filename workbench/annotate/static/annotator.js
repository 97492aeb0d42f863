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

function render({ model, el }) {
  const root = h("div", { class: "wb-annot", tabindex: "0", "data-lm-suppress-shortcuts": "true" });
  el.appendChild(root);
  const header = h("div", { class: "wb-header" });
  const body = h("div", { class: "wb-body" });
  root.append(header, body);
  let shownAt = performance.now();
  let ui = {};

  function send(action, extra = {}) {
    const current = model.get("current") || {};
    nonceCounter += 1;
    model.set("submission", {
      action, nonce: `${Date.now()}-${nonceCounter}`, task_id: current.id ?? null,
      elapsed_ms: Math.round(performance.now() - shownAt), ...extra,
    });
    model.save_changes();
  }

  function drawHeader() {
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

  function commonButtons() {
    return [
      h("button", { class: "wb-skip", title: "s", onclick: () => send("skip") }, "Skip"),
      h("button", { class: "wb-undo", title: "u", disabled: !model.get("can_undo"),
        onclick: () => send("undo") }, "Undo last"),
    ];
  }

  function drawBody() {
    const current = model.get("current") || {};
    if (!current.id && current.id !== "") {
      body.replaceChildren(h("div", { class: "wb-done" }, "All tasks done."),
        h("div", { class: "wb-actions" }, commonButtons()[1]));
      return;
    }
    const prompt = h("div", { class: "wb-prompt" }, h("div", { class: "wb-label" }, "Prompt"),
      h("div", { class: "wb-text" }, current.prompt));
    const kind = model.get("kind");
    const view = kind === "pairwise" ? pairwiseView(current) : kind === "ranking" ? rankingView(current) : stepView(current);
    body.replaceChildren(prompt, view);
    if (ui.focus !== undefined) {
      const target = body.querySelector(`[data-pos="${ui.focus}"]`);
      if (target) target.focus();
    }
  }

  // ---- pairwise ------------------------------------------------------------------
  function pairwiseView(current) {
    const strength = model.get("options").strength;
    const card = (side, text) => h("div", { class: "wb-card", "data-side": side },
      h("div", { class: "wb-label" }, `Response ${side}`), h("div", { class: "wb-text" }, text));
    const choose = (choice, level) => () => send("submit", { choice, strength: strength ? level : null });
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
      h("div", { class: "wb-actions" }, buttons, commonButtons()),
      h("div", { class: "wb-keys" }, "Keys: 1/← A, 2/→ B" + (strength ? " (Shift: much better)" : "") +
        ", g both good, n both bad, s skip, u undo"));
  }

  function pairwiseKey(event) {
    const strength = model.get("options").strength;
    const level = strength ? (event.shiftKey ? "much" : "slightly") : null;
    const key = event.key;
    if (key === "1" || key === "!" || key === "ArrowLeft") send("submit", { choice: "A", strength: level });
    else if (key === "2" || key === "@" || key === "ArrowRight") send("submit", { choice: "B", strength: level });
    else if (key === "g") send("submit", { choice: "tie_good", strength: null });
    else if (key === "n") send("submit", { choice: "tie_bad", strength: null });
    else return false;
    return true;
  }

  // ---- ranking -------------------------------------------------------------------
  function resetRanking(k) {
    const topK = model.get("options").top_k;
    ui = { groups: topK ? [] : [...Array(k).keys()].map((p) => [p]),
      pool: topK ? [...Array(k).keys()] : [], held: null, focus: 0 };
  }

  function removeItem(p) {
    // Take p out; returns the index of a group that disappeared (or -1).
    const inPool = ui.pool.indexOf(p);
    if (inPool >= 0) { ui.pool.splice(inPool, 1); return -1; }
    const g = ui.groups.findIndex((group) => group.includes(p));
    ui.groups[g].splice(ui.groups[g].indexOf(p), 1);
    if (ui.groups[g].length === 0) { ui.groups.splice(g, 1); return g; }
    return -1;
  }
  function toNewGroup(p, g) {   // g counted before p was taken out
    const gone = removeItem(p);
    if (gone >= 0 && gone < g) g -= 1;
    ui.groups.splice(Math.max(0, Math.min(g, ui.groups.length)), 0, [p]);
  }
  function toGroup(p, g) {
    if (!model.get("options").allow_ties) return toNewGroup(p, g);
    if (ui.groups[g] && ui.groups[g].includes(p)) return;
    const gone = removeItem(p);
    if (gone >= 0 && gone < g) g -= 1;
    ui.groups[g].push(p);
  }
  function toPool(p) { removeItem(p); ui.pool.push(p); }
  function groupOf(p) { return ui.groups.findIndex((group) => group.includes(p)); }

  function rankingView(current) {
    const topK = model.get("options").top_k;
    const drop = (handler) => ({
      ondragover: (e) => { e.preventDefault(); e.currentTarget.classList.add("wb-over"); },
      ondragleave: (e) => e.currentTarget.classList.remove("wb-over"),
      ondrop: (e) => { e.preventDefault(); const p = Number(e.dataTransfer.getData("text/plain"));
        handler(p); ui.focus = p; drawBody(); },
    });
    const item = (p) => h("div", {
      class: "wb-item" + (ui.held === p ? " wb-held" : ""), "data-pos": String(p), tabindex: "0",
      draggable: "true", role: "listitem", "aria-grabbed": ui.held === p ? "true" : "false",
      ondragstart: (e) => { e.dataTransfer.setData("text/plain", String(p)); e.dataTransfer.effectAllowed = "move"; },
      onfocus: () => { ui.focus = p; },
    }, h("span", { class: "wb-handle" }, "⠿"), h("div", { class: "wb-text" }, current.items[p]));
    const list = h("div", { class: "wb-ranking", role: "list" });
    ui.groups.forEach((group, g) => {
      list.append(h("div", { class: "wb-gap", "data-gap": String(g), ...drop((p) => toNewGroup(p, g)) }));
      list.append(h("div", { class: "wb-rank", "data-rank": String(g), ...drop((p) => toGroup(p, g)) },
        h("div", { class: "wb-rank-label" }, `#${g + 1}` + (group.length > 1 ? " (tie)" : "")),
        h("div", { class: "wb-rank-items" }, group.map(item))));
    });
    list.append(h("div", { class: "wb-gap", "data-gap": String(ui.groups.length),
      ...drop((p) => toNewGroup(p, ui.groups.length)) }));
    const parts = [list];
    if (topK) {
      parts.push(h("div", { class: "wb-pool", ...drop(toPool) },
        h("div", { class: "wb-label" }, `Not ranked (rank the best ${topK})`), ui.pool.map(item)));
    }
    parts.push(h("div", { class: "wb-actions" },
      h("button", { class: "wb-submit", onclick: submitRanking }, "Submit ranking"), commonButtons()));
    parts.push(h("div", { class: "wb-keys" }, "Keys: ↑/↓ focus, Space pick up/drop, ↑/↓ while held move, " +
      "= tie with the rank above, 1-9 put at rank, Enter submit, s skip, u undo. Or drag: onto a rank = tie, between ranks = new rank."));
    return h("div", {}, parts);
  }

  function submitRanking() { send("submit", { groups: ui.groups.map((g) => [...g]) }); }

  function rankingKey(event) {
    const order = [...ui.groups.flat(), ...ui.pool];
    const p = ui.focus ?? order[0];
    const at = order.indexOf(p);
    const key = event.key;
    const g = groupOf(p);
    if (key === " ") ui.held = ui.held === p ? null : p;
    else if (key === "Escape" && ui.held !== null) ui.held = null;
    else if ((key === "ArrowUp" || key === "ArrowDown") && ui.held === null) {
      ui.focus = order[Math.max(0, Math.min(order.length - 1, at + (key === "ArrowUp" ? -1 : 1)))];
      drawBody();
      return true;
    } else if (key === "ArrowUp") {
      if (g < 0) toNewGroup(p, ui.groups.length);
      else if (ui.groups[g].length > 1) toNewGroup(p, g);
      else if (g > 0) toNewGroup(p, g - 1);
    } else if (key === "ArrowDown") {
      if (g >= 0 && ui.groups[g].length > 1) toNewGroup(p, g + 1);
      else if (g >= 0 && g < ui.groups.length - 1) toNewGroup(p, g + 2);
      else if (g >= 0 && model.get("options").top_k) toPool(p);
    } else if (key === "=") {
      if (g < 0 && ui.groups.length) toGroup(p, ui.groups.length - 1);
      else if (g > 0) toGroup(p, g - 1);
    } else if (/^[1-9]$/.test(key)) {
      removeItem(p);
      ui.groups.splice(Math.min(Number(key) - 1, ui.groups.length), 0, [p]);
    } else if (key === "Enter") { submitRanking(); return true; }
    else return false;
    ui.focus = p;
    drawBody();
    return true;
  }

  // ---- steps ---------------------------------------------------------------------
  function stepView(current) {
    const rate = (i, value) => () => { ui.ratings[i] = value; ui.focus = i; drawBody(); };
    const rows = current.items.map((text, i) => h("div", {
      class: "wb-step", "data-pos": String(i), tabindex: "0", onfocus: () => { ui.focus = i; } },
      h("span", { class: "wb-step-number" }, `${i + 1}.`), h("div", { class: "wb-text" }, text),
      h("div", { class: "wb-step-buttons" },
        [[1, "+1"], [0, "0"], [-1, "−1"]].map(([value, text]) => h("button", {
          class: "wb-rate" + (ui.ratings[i] === value ? " wb-selected" : ""), "data-rating": String(value),
          onclick: rate(i, value) }, text)),
        h("button", { class: "wb-first-wrong", title: "f",
          onclick: () => send("submit", { first_wrong: i }) }, "First wrong step"))));
    return h("div", {}, h("div", { class: "wb-steps" }, rows),
      h("div", { class: "wb-actions" },
        h("button", { class: "wb-all-correct", title: "c", onclick: () => send("submit", { first_wrong: -1 }) }, "All correct"),
        h("button", { class: "wb-submit", onclick: () => send("submit", { ratings: [...ui.ratings] }) }, "Submit ratings"),
        commonButtons()),
      h("div", { class: "wb-keys" }, "Keys: ↑/↓ step, + / 0 / - rate, f first wrong step, c all correct, Enter submit, s skip, u undo"));
  }

  function stepKey(event) {
    const n = ui.ratings.length;
    const i = ui.focus ?? 0;
    const key = event.key;
    if (key === "ArrowUp" || key === "ArrowDown") ui.focus = Math.max(0, Math.min(n - 1, i + (key === "ArrowUp" ? -1 : 1)));
    else if (key === "+" || key === "=") ui.ratings[i] = 1;
    else if (key === "0") ui.ratings[i] = 0;
    else if (key === "-") ui.ratings[i] = -1;
    else if (key === "f") { send("submit", { first_wrong: i }); return true; }
    else if (key === "c") { send("submit", { first_wrong: -1 }); return true; }
    else if (key === "Enter") { send("submit", { ratings: [...ui.ratings] }); return true; }
    else return false;
    drawBody();
    return true;
  }

  // ---- wiring --------------------------------------------------------------------
  function onCurrent() {
    shownAt = performance.now();
    const current = model.get("current") || {};
    const k = (current.items || []).length;
    if (model.get("kind") === "ranking") resetRanking(k);
    else ui = { ratings: Array(k).fill(null), focus: undefined };
    drawBody();
  }

  function onKey(event) {
    if (!root.contains(document.activeElement) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Tab") return;
    const kind = model.get("kind");
    let handled = false;
    if (event.key === "s") { send("skip"); handled = true; }
    else if (event.key === "u") { send("undo"); handled = true; }
    else if (model.get("current") && model.get("current").id !== undefined) {
      handled = kind === "pairwise" ? pairwiseKey(event) : kind === "ranking" ? rankingKey(event) : stepKey(event);
    }
    // Every key typed inside the widget stays inside it: plain keys are
    // JupyterLab command-mode shortcuts (a, b, x, d d, 0-9...).
    event.stopPropagation();
    if (handled || event.key === " ") event.preventDefault();
  }

  root.addEventListener("keydown", onKey);
  const onChange = () => drawHeader();
  model.on("change:current", onCurrent);
  model.on("change:progress", onChange);
  model.on("change:message", onChange);
  model.on("change:can_undo", () => { drawHeader(); drawBody(); });
  drawHeader();
  onCurrent();
  return () => {
    model.off("change:current", onCurrent);
    model.off("change:progress", onChange);
    model.off("change:message", onChange);
    root.removeEventListener("keydown", onKey);
  };
}

export default { render };
