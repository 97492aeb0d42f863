"""Annotation widgets (anywidget): pairwise, ranking and step labels.

Each widget is a Python object a notebook displays. The front end
(``static/annotator.js``) only renders ``current`` and writes what the annotator
did into the synced ``submission`` trait, e.g.::

    {"action": "submit", "nonce": 7, "groups": [[2], [0, 3], [1]], "elapsed_ms": 5400}
    {"action": "skip", "nonce": 8}     {"action": "undo", "nonce": 9}

so everything that matters (validation, the store, progress, undo, resume)
happens here and is testable without a browser: set ``widget.submission`` as
the front end would, or call ``submit(...)`` / ``skip()`` / ``undo()``.

Every judgement goes to the :class:`AnnotationStore` before the next task is
shown. Reopening a widget on the same store and annotator resumes at the first
task in that annotator's order without a live judgement.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import anywidget
import traitlets

from . import records
from .store import AnnotationStore
from .tasks import item_order, load_tasks, task_order

STATIC = Path(__file__).parent / "static"

GUIDELINES = {
    "pairwise": "Read the prompt and both responses. Pick the better response (A or B), "
                "or say they are equally good or equally bad. Judge helpfulness, "
                "correctness and harmlessness; ignore length and position.",
    "ranking": "Order the responses from best (top) to worst. Put equally good responses "
               "in the same rank (a tie). Judge helpfulness, correctness and harmlessness; "
               "ignore length and the order they were shown in.",
    "step": "Rate each step: +1 correct and useful, 0 neutral (not wrong, not helpful), "
            "-1 wrong. Or mark the first wrong step in one click.",
}


class _Annotator(anywidget.AnyWidget):
    _esm = STATIC / "annotator.js"
    _css = STATIC / "annotator.css"

    kind = traitlets.Unicode().tag(sync=True)
    annotator = traitlets.Unicode().tag(sync=True)
    guidelines = traitlets.Unicode().tag(sync=True)
    options = traitlets.Dict().tag(sync=True)
    current = traitlets.Dict().tag(sync=True)      # {} when every task is done
    progress = traitlets.Dict().tag(sync=True)     # {"done": n, "total": N}
    message = traitlets.Unicode().tag(sync=True)   # last status or error, shown to the annotator
    can_undo = traitlets.Bool(False).tag(sync=True)
    submission = traitlets.Dict().tag(sync=True)   # written by the front end

    _kind = ""

    def __init__(self, tasks, store: AnnotationStore | str | Path, annotator: str, *,
                 seed: int = 0, guidelines: str | None = None, shuffle: bool = True,
                 options: dict | None = None):
        if not annotator or not isinstance(annotator, str):
            raise ValueError("annotator must be a non-empty name")
        self.tasks = load_tasks(tasks, self._kind)
        self.store = store if isinstance(store, AnnotationStore) else AnnotationStore(store)
        self.store.register_tasks(self.tasks, self._kind)
        self.seed = int(seed)
        self.shuffle = shuffle
        self._order = task_order(self.tasks, annotator, self.seed, shuffle=shuffle)
        self._task: dict | None = None
        self._shown_order: list[int] = []
        self._shown_at = time.monotonic()
        self.last_error: str | None = None
        super().__init__(kind=self._kind, annotator=annotator, options=dict(options or {}),
                         guidelines=guidelines or GUIDELINES[self._kind])
        self._advance()

    # -- the front end's channel ---------------------------------------------------
    @traitlets.observe("submission")
    def _on_submission(self, change) -> None:
        payload = dict(change["new"] or {})
        action = payload.get("action")
        if action is None:
            return
        try:
            if payload.get("task_id") not in (None, self.current.get("id")):
                raise ValueError(f"submission for task {payload.get('task_id')!r} but task "
                                 f"{self.current.get('id')!r} is shown")
            duration = payload["elapsed_ms"] / 1000.0 if "elapsed_ms" in payload else None
            if action == "submit":
                self._submit_payload(payload, duration)
            elif action == "skip":
                self.skip(duration_s=duration)
            elif action == "undo":
                self.undo()
            else:
                raise ValueError(f"unknown action {action!r}")
        except (ValueError, TimeoutError, sqlite3.Error) as error:
            # the annotator sees why nothing was saved; the task stays on screen
            self.last_error = str(error)
            self.message = f"Not saved: {error}"

    def _submit_payload(self, payload: dict, duration: float | None) -> None:
        raise NotImplementedError

    # -- public API ------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self._task is None

    @property
    def shown_order(self) -> list[int]:
        """Original indices of the current task's items, in the order shown."""
        return list(self._shown_order)

    def skip(self, *, duration_s: float | None = None) -> int:
        return self._save(records.skip_label(), duration_s)

    def undo(self) -> dict | None:
        """Retract the last judgement (kept in the store, marked undone) and show its task again."""
        undone = self.store.undo_last(self.annotator, self._kind)
        self.message = f"Undid task {undone['task_id']}" if undone else "Nothing to undo"
        self._advance()
        return undone

    # -- internals -------------------------------------------------------------------
    def _save(self, label: dict, duration_s: float | None) -> int:
        if self._task is None:
            raise ValueError("every task is done")
        if duration_s is None:
            duration_s = time.monotonic() - self._shown_at
        judgement_id = self.store.add(self._task["id"], self._kind, self.annotator, label,
                                      self._shown_order, seed=self.seed, duration_s=duration_s)
        self.last_error = None
        self.message = "Skipped" if label.get("skip") else "Saved"
        self._advance()
        return judgement_id

    def _advance(self) -> None:
        done = self.store.done_task_ids(self.annotator, self._kind)
        remaining = [i for i in self._order if self.tasks[i]["id"] not in done]
        self.progress = {"done": len(self.tasks) - len(remaining), "total": len(self.tasks)}
        self.can_undo = bool(done)
        if not remaining:
            self._task, self._shown_order, self.current = None, [], {}
            self.message = "All tasks done. Thank you!"
            return
        self._task = self.tasks[remaining[0]]
        self._shown_order = item_order(self._task, self.annotator, self.seed, shuffle=self.shuffle)
        texts = self._task.get("responses", self._task.get("steps"))
        self.current = {"id": self._task["id"], "prompt": self._task["prompt"],
                        "items": [texts[i] for i in self._shown_order]}
        self._shown_at = time.monotonic()


class PairwiseAnnotator(_Annotator):
    """A prompt and two responses side by side: A, B, tie (both good / both bad), skip.

    ``strength=True`` asks "slightly or much better", stored and exported as a margin.
    Keys (only while focus is inside the widget): 1 / ← = A, 2 / → = B,
    g = both good, n = both bad, s = skip, u = undo; with strength on, Shift
    with a choice means "much better".
    """
    _kind = "pairwise"

    def __init__(self, tasks, store, annotator, *, strength: bool = False, **kwargs):
        super().__init__(tasks, store, annotator, options={"strength": bool(strength)}, **kwargs)

    def submit(self, choice: str, strength: str | None = None, *,
               duration_s: float | None = None) -> int:
        """choice: "A" (shown first/left), "B", "tie_good", "tie_bad" or "skip"."""
        if self._task is None:
            raise ValueError("every task is done")
        return self._save(records.pairwise_label(choice, self._shown_order, strength), duration_s)

    def _submit_payload(self, payload, duration):
        self.submit(payload.get("choice"), payload.get("strength"), duration_s=duration)


class RankingAnnotator(_Annotator):
    """K responses ordered by drag and drop or keyboard; ties by grouping; top-k.

    ``top_k=3`` asks only for the best three (the rest stays unranked);
    ``allow_ties=False`` forbids groups. Keys: ↑/↓ move focus, Space picks up /
    drops the focused response, ↑/↓ while held move it, = ties it with the
    rank above, 1-9 put it at that rank, Enter submits, s skip, u undo.
    """
    _kind = "ranking"

    def __init__(self, tasks, store, annotator, *, top_k: int | None = None,
                 allow_ties: bool = True, **kwargs):
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be >= 1 or None, got {top_k}")
        super().__init__(tasks, store, annotator,
                         options={"top_k": top_k, "allow_ties": bool(allow_ties)}, **kwargs)

    def submit(self, groups: list[list[int]], *, duration_s: float | None = None) -> int:
        """groups: rank groups of *shown* positions, best first, e.g. ``[[1], [0, 2]]``."""
        if self._task is None:
            raise ValueError("every task is done")
        label = records.ranking_label([list(map(int, g)) for g in groups], self._shown_order,
                                      top_k=self.options.get("top_k"),
                                      allow_ties=self.options.get("allow_ties", True))
        return self._save(label, duration_s)

    def _submit_payload(self, payload, duration):
        groups = payload.get("groups")
        if not isinstance(groups, list):
            raise ValueError("submission needs 'groups': a list of lists of shown positions")
        self.submit(groups, duration_s=duration)


class StepAnnotator(_Annotator):
    """A solution split into steps: a +1 / 0 / -1 label per step, or the first wrong step.

    Keys: ↑/↓ move between steps, + / 0 / - rate the focused step, f marks it
    as the first wrong step, c "all correct", Enter submits, s skip, u undo.
    """
    _kind = "step"

    def submit(self, ratings: list[int | None] | None = None, *, first_wrong: int | None = None,
               duration_s: float | None = None) -> int:
        if self._task is None:
            raise ValueError("every task is done")
        label = records.step_label(ratings, len(self._task["steps"]), first_wrong=first_wrong)
        return self._save(label, duration_s)

    def _submit_payload(self, payload, duration):
        self.submit(payload.get("ratings"), first_wrong=payload.get("first_wrong"),
                    duration_s=duration)
