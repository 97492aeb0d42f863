"""LLM-as-judge step annotation: a prompt asking for the first wrong step,
robust parsing of the verdict, and two backends.

The prompt follows ProcessBench (Zheng et al., 2024): the steps are numbered
from 1 and the judge answers with the number of the earliest wrong step in
``\\boxed{}``, or ``\\boxed{0}`` when every step is right. :func:`parse_verdict`
also reads the ways models actually answer ("Step 3 is wrong", "The first
error is in paragraph 2", ``{"first_error": 3}``, "All steps are correct").

Backends are callables ``backend(prompts: list[str]) -> list[str]``:

* :class:`TransformersJudge`: a local causal LM (chat template when the
  tokenizer has one), greedy, batched with left padding;
* :class:`OpenAIJudge`: any OpenAI-compatible ``/v1/chat/completions`` server
  (vLLM, TGI, llama.cpp, Ollama) by URL, with bounded retries.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.prm._http import post_json
from workbench.prm.labelers import StepAnnotation, labels_from_first_error
from workbench.prm.records import StepRecord

JUDGE_TEMPLATE = """The following is a math problem and a solution split into numbered steps.
Review the steps in order. Find the earliest step that contains an error
(a wrong calculation, a wrong fact, or a wrong logical step).

Problem: {prompt}

{steps}

Answer with the number of the earliest wrong step in \\boxed{{}}, for example \\boxed{{2}}.
If every step is correct, answer \\boxed{{0}}."""

_NO_ERROR = re.compile(
    r"\b(?:no (?:errors?|mistakes?|incorrect steps?)|(?:all|every) (?:the )?(?:steps?|paragraphs?) "
    r"(?:are|is) (?:correct|right)|(?:the )?solution is (?:entirely |fully )?correct)\b", re.IGNORECASE)
_STEP_WORD = r"(?:step|paragraph)\s*#?\s*(-?\d+)"
_PATTERNS = [
    re.compile(r"\\boxed\{\s*(?:step\s*)?(-?\d+)\s*\}", re.IGNORECASE),
    re.compile(r"\"?first_error\"?\s*[:=]\s*(-?\d+|null|none)", re.IGNORECASE),
    re.compile(r"(?:first|earliest)\s+(?:wrong|incorrect|erroneous)?\s*(?:step|paragraph|error|mistake)"
               r"[^\d\n]{0,40}?(-?\d+)", re.IGNORECASE),
    re.compile(_STEP_WORD + r"\s+(?:is|was|contains|has)\s+(?:an?\s+)?(?:wrong|incorrect|error|mistake)",
               re.IGNORECASE),
    re.compile(r"(?:error|mistake)\s+(?:is\s+)?(?:in|at)\s+" + _STEP_WORD, re.IGNORECASE),
]


@dataclass
class Verdict:
    """first_error: 0-based index of the first wrong step, or None (no error).
    parsed: False when the reply could not be read (then first_error is None too)."""

    first_error: int | None
    parsed: bool


def format_judge_prompt(record: StepRecord, template: str = JUDGE_TEMPLATE) -> str:
    steps = "\n".join(f"Step {i + 1}: {step}" for i, step in enumerate(record.steps))
    return template.format(prompt=record.prompt, steps=steps)


def parse_verdict(reply: str, n_steps: int) -> Verdict:
    """Read a judge's reply into the 0-based first wrong step (None: no error).

    The first pattern that matches wins, in order: ``\\boxed{k}``, a JSON-ish
    ``first_error: k``, "first wrong step ... k", "step k is wrong", "error in step k";
    then a no-error phrase. ``k`` is 1-based; ``0``, ``-1`` and ``null`` mean no
    error. A number outside ``1..n_steps`` or no match gives ``parsed=False``.
    """
    for pattern in _PATTERNS:
        match = pattern.search(reply)
        if match is None:
            continue
        text = match.group(1).lower()
        if text in ("null", "none"):
            return Verdict(None, True)
        number = int(text)
        if number in (0, -1):
            return Verdict(None, True)
        if 1 <= number <= n_steps:
            return Verdict(number - 1, True)
        return Verdict(None, False)
    if _NO_ERROR.search(reply):
        return Verdict(None, True)
    return Verdict(None, False)


class JudgeAnnotator:
    """First-error labels from an LLM judge; unreadable replies leave every label None."""

    name = "judge"

    def __init__(self, backend, *, template: str = JUDGE_TEMPLATE):
        self.backend, self.template = backend, template

    def annotate_many(self, records: list[StepRecord]) -> list[StepAnnotation]:
        replies = self.backend([format_judge_prompt(r, self.template) for r in records])
        if len(replies) != len(records):
            raise ValueError(f"judge backend returned {len(replies)} replies for {len(records)} prompts")
        annotations = []
        for record, reply in zip(records, replies):
            verdict = parse_verdict(reply, len(record.steps))
            labels = (labels_from_first_error(len(record.steps), verdict.first_error)
                      if verdict.parsed else [None] * len(record.steps))
            annotation = StepAnnotation(labels, verdict.first_error, self.name, {"rollouts": 0, "calls": 1})
            annotation.cost["unparsed"] = int(not verdict.parsed)
            annotations.append(annotation)
        return annotations

    def annotate(self, record: StepRecord) -> StepAnnotation:
        return self.annotate_many([record])[0]


class OpenAIJudge:
    """``backend(prompts) -> replies`` through an OpenAI-compatible chat endpoint.

    base_url: e.g. ``http://localhost:8000/v1`` (vLLM), ``http://localhost:11434/v1``
    (Ollama). One request per prompt; a connection error or a 429/5xx is retried
    ``retries`` times with exponential backoff, then raised (``workbench.prm._http.post_json``).
    """

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, timeout: float = 60.0, retries: int = 2):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key = model, api_key
        self.max_tokens, self.temperature = max_tokens, temperature
        self.timeout, self.retries = timeout, retries

    def __call__(self, prompts: list[str]) -> list[str]:
        replies = []
        for prompt in prompts:
            body = post_json(self.url, {"model": self.model, "max_tokens": self.max_tokens,
                                        "temperature": self.temperature,
                                        "messages": [{"role": "user", "content": prompt}]},
                             api_key=self.api_key, timeout=self.timeout, retries=self.retries,
                             name="judge endpoint")
            try:
                replies.append(body["choices"][0]["message"]["content"] or "")
            except (KeyError, IndexError, TypeError):
                raise RuntimeError(f"judge endpoint {self.url}: unexpected reply {str(body)[:200]}") from None
        return replies


class TransformersJudge:
    """``backend(prompts) -> replies`` with a local causal LM, greedy and batched."""

    def __init__(self, model, tokenizer, *, max_new_tokens: int = 256, batch_size: int = 8):
        self.model, self.tokenizer = model, tokenizer
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size

    def _render(self, prompt: str) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}],
                                                      tokenize=False, add_generation_prompt=True)
        return prompt + "\n"

    def __call__(self, prompts: list[str]) -> list[str]:
        from workbench.prm.policy import generate_batch

        texts = [self._render(p) for p in prompts]
        replies = []
        for start in range(0, len(texts), self.batch_size):
            replies += generate_batch(self.model, self.tokenizer, texts[start:start + self.batch_size],
                                      max_new_tokens=self.max_new_tokens, do_sample=False)
        return replies


class SimulatedJudge:
    """A judge with a known accuracy over simulated problems, for CPU notebooks and tests.

    It knows the truth (the policy's problems) and answers right with
    probability ``accuracy``; otherwise it names a neighbouring step or says
    all is fine. Replies vary in wording so that parsing is exercised.
    """

    def __init__(self, policy, *, accuracy: float = 0.8, seed: int = 0):
        import random

        from workbench.prm.simulated import true_labels

        self.policy, self.accuracy, self.rng = policy, accuracy, random.Random(seed)
        self._true_labels = true_labels

    def __call__(self, prompts: list[str]) -> list[str]:
        replies = []
        for prompt in prompts:
            question = prompt.split("Problem: ", 1)[1].split("\n\nStep 1: ", 1)[0]
            steps = re.findall(r"^Step \d+: (.*)$", prompt, re.MULTILINE)
            labels = self._true_labels(self.policy._problem(question), steps)
            truth = next((i for i, label in enumerate(labels) if label == 0.0), None)
            answer = truth
            if self.rng.random() > self.accuracy:
                options = [None] + [i for i in range(len(steps)) if i != truth]
                answer = self.rng.choice(options)
            if answer is None:
                replies.append(self.rng.choice(["All steps are correct. \\boxed{0}", "No errors found."]))
            else:
                replies.append(self.rng.choice([f"The earliest error is in step {answer + 1}.",
                                                f"Step {answer + 1} is incorrect. \\boxed{{{answer + 1}}}",
                                                f'{{"first_error": {answer + 1}}}']))
        return replies
