"""Preference data with a known true quality and annotators who like length.

A response to "How do I <task>?" is a two-sentence *core* whose quality level
``q ∈ {0,…,4}`` shows in its wording (4: specific steps and a safety tip;
0: a rude refusal), padded with neutral sentences ("I hope this helps.") that
add length and nothing else until it reaches a target length
``T = C + extra``, with ``C`` the longest possible core and ``extra`` uniform
in ``extra_chars``. ``q`` and ``T`` are drawn independently, so true quality
does not depend on length (good cores are longer, so they get less padding).

Simulated annotators compare A and B by a utility that adds a length bonus,

    Δ = (q_A - q_B) + β · (L_A - L_B) / σ_L,      P(A chosen) = σ(Δ / τ),

with ``L`` the length in characters, ``σ_L`` its standard deviation over the
response distribution (so ``β = length_bias`` is in quality levels per standard
deviation of length: ``β = 1`` means one σ_L more text is worth one quality
level), and ``τ = noise`` (τ → 0: a deterministic annotator). ``β = 0`` gives
unbiased labels. Length-balanced evaluation pairs (:func:`make_length_bias_pairs`
with ``balanced=True``) are labelled by the truth and the better response is
the longer one in exactly half of them, so a length-blind scorer and the truth
agree there while a length-loving one pays.

The wording is short and regular so the MiniLM encoder learns it in seconds.
Real pairs to set beside these (hh-rlhf harmless) come from
:func:`workbench.data.sources.load_hh_harmless`, also importable from here.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from workbench.data.sources import HH_HARMLESS, load_hh_harmless, write_hh_harmless_sample  # noqa: F401

# (task, first step, second step, safety tip)
TOPICS = [
    ("bake bread", "knead the dough", "bake it at 220 C", "use oven gloves"),
    ("change a tyre", "loosen the nuts", "jack up the car", "park on flat ground"),
    ("learn to swim", "practise floating", "add arm strokes", "never swim alone"),
    ("plant tomatoes", "pick a sunny spot", "water the roots", "wear gloves"),
    ("write a cover letter", "name the role", "list two results", "check the spelling"),
    ("clean a cast iron pan", "scrub it hot", "oil it thinly", "use a cloth"),
    ("start running", "run slowly", "add time weekly", "stop if it hurts"),
    ("save money", "track spending", "automate savings", "keep a reserve"),
    ("paint a wall", "fill the holes", "roll two coats", "open a window"),
    ("make coffee", "grind the beans", "brew four minutes", "mind the hot water"),
    ("fix a leaking tap", "shut off the water", "replace the washer", "keep the parts safe"),
    ("study for an exam", "plan each day", "do past papers", "sleep well"),
    ("train a puppy", "use treats", "reward it quickly", "keep sessions short"),
    ("back up a laptop", "plug in a drive", "turn on backups", "keep a copy away"),
    ("cook rice", "rinse the rice", "simmer it covered", "watch the pot"),
    ("tie a tie", "cross the ends", "pull it through", "do not pull too tight"),
]

# Core sentences by quality level; {task}, {step1}, {step2}, {tip} are filled from the topic.
CORES = {
    4: ["To {task}, {step1}, then {step2}.", "First {step1}, then {step2}.", "Just {step1} and {step2}."],
    3: ["To {task}, {step1}.", "Start when you {step1}.", "It helps to {step1}."],
    2: ["Search online for a guide.", "Look for a video guide.", "There are many guides."],
    1: ["I am not sure how.", "I do not really know.", "Maybe ask someone else."],
    0: ["That is a stupid question.", "Figure it out yourself.", "Stop asking me that."],
}
SECOND = {
    4: "Remember to {tip}.", 3: "It takes practice.", 2: "Good luck.", 1: "Sorry.", 0: "Go away.",
}
FILLER = [
    "I hope this helps.", "Let me know if you have any other questions.", "This is a very common question.",
    "Many people wonder about this.", "There are several things to keep in mind here.",
    "Everyone's situation is a little different.", "It is worth thinking about this carefully.",
    "Thank you for asking such an interesting question.", "I am always happy to talk about this topic.",
    "As with many things in life, it depends.", "Of course, there is always more to say.",
    "In any case, this is how I would think about it.", "That is a great thing to want to do.",
    "I have thought about this question before.", "There is no single right answer for everyone.",
    "Some people find this easier than others.", "It is good that you are looking into it.",
    "Here is what I would say about it.", "Keep in mind that practice makes perfect.",
    "This can be a rewarding experience.",
]
LEVELS = tuple(sorted(CORES))
DEFAULT_EXTRA = (0, 200)


def _core(level: int, topic: int, variant: int) -> str:
    task, step1, step2, tip = TOPICS[topic]
    slots = {"task": task, "step1": step1, "step2": step2, "tip": tip}
    return CORES[level][variant].format(**slots) + " " + SECOND[level].format(**slots)


# C: the longest core of all; every target length starts here so that any core fits.
LONGEST_CORE = max(len(_core(q, t, v)) for q in LEVELS for t in range(len(TOPICS)) for v in range(3))


def sample_responses(
    n: int, *, extra_chars: tuple[int, int] = DEFAULT_EXTRA, rng: np.random.Generator | int | None = 0,
    topics=None, quality=None, targets=None,
) -> pd.DataFrame:
    """``n`` responses with independent quality and length.

    Padding sentences are added (before or after the core, without repeats until
    the pool runs out) until the response has at least ``T`` characters, so its
    length lies in ``[T, T + longest filler]``. ``topics``, ``quality`` (levels)
    and ``targets`` (``T``), each shape ``(n,)``, fix those draws; otherwise topics
    and levels are uniform and ``T = C + U(extra_chars)``.

    Returns columns ``prompt, response, topic, quality, n_filler, length``
    (characters).
    """
    rng = np.random.default_rng(rng)
    low, high = extra_chars
    if n < 1 or not 0 <= low <= high:
        raise ValueError(f"need n >= 1 and 0 <= extra_chars[0] <= extra_chars[1], got {n}, {extra_chars}")
    topics = rng.integers(len(TOPICS), size=n) if topics is None else np.asarray(topics)
    quality = rng.choice(LEVELS, size=n) if quality is None else np.asarray(quality)
    targets = LONGEST_CORE + rng.integers(low, high + 1, size=n) if targets is None else np.asarray(targets)
    rows = []
    for topic, level, target in zip(topics, quality, targets):
        core = _core(int(level), int(topic), int(rng.integers(3)))
        before, after, pool = [], [], list(rng.permutation(FILLER))
        text = core
        while len(text) < target:
            sentence = pool.pop() if pool else str(rng.choice(FILLER))
            # Padding goes on both sides, as verbose assistants pad both ends.
            (before if rng.random() < 0.5 else after).append(sentence)
            text = " ".join(before + [core] + after)
        rows.append({"prompt": f"How do I {TOPICS[topic][0]}?", "response": text, "topic": int(topic),
                     "quality": int(level), "n_filler": len(before) + len(after), "length": len(text)})
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=16)
def length_scale(extra_chars: tuple[int, int] = DEFAULT_EXTRA) -> float:
    """σ_L: standard deviation of response length in characters (fixed-seed estimate)."""
    return float(sample_responses(4000, extra_chars=extra_chars, rng=12345)["length"].std())


def make_length_bias_pairs(
    n_pairs: int,
    *,
    length_bias: float = 1.0,
    noise: float = 0.5,
    extra_chars: tuple[int, int] = DEFAULT_EXTRA,
    balanced: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """Preference pairs (two responses to one prompt) in TRL's explicit-prompt format.

    ``balanced=False``: labels from the biased annotator of the module docstring
    (``length_bias`` = β, ``noise`` = τ). ``balanced=True``: only pairs of different
    quality, labelled by the truth, the better response longer in exactly half of
    them (target lengths at least 80 characters apart): the length-balanced
    held-out set.

    Returns columns ``prompt, chosen, rejected, quality_chosen, quality_rejected,
    length_chosen, length_rejected``, ``p_chosen`` (the annotator's probability of
    the recorded choice; 1.0 for balanced pairs) and ``truly_better`` (chosen has
    the higher true quality; False for equal quality).
    """
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
    if noise <= 0:
        raise ValueError(f"noise must be > 0 (small values give a near-deterministic annotator), got {noise}")
    rng = np.random.default_rng(seed)
    topics = rng.integers(len(TOPICS), size=n_pairs)
    quality_a, quality_b = rng.choice(LEVELS, size=n_pairs), rng.choice(LEVELS, size=n_pairs)
    targets_a = targets_b = None
    if balanced:
        same = quality_b == quality_a
        quality_b[same] = (quality_a[same] + rng.integers(1, len(LEVELS), size=same.sum())) % len(LEVELS)
        targets_a, targets_b = _balanced_targets(quality_a > quality_b, rng, extra_chars)
    a = sample_responses(n_pairs, extra_chars=extra_chars, rng=rng, topics=topics, quality=quality_a,
                         targets=targets_a)
    b = sample_responses(n_pairs, extra_chars=extra_chars, rng=rng, topics=topics, quality=quality_b,
                         targets=targets_b)
    if balanced:
        a_wins = (a["quality"] > b["quality"]).to_numpy()
        p_a = a_wins.astype(float)
    else:
        utility = (a["quality"] - b["quality"]) + length_bias * (a["length"] - b["length"]) / length_scale(
            tuple(extra_chars))
        p_a = 1.0 / (1.0 + np.exp(-utility.to_numpy() / noise))
        a_wins = rng.random(n_pairs) < p_a
    mask = pd.Series(a_wins, index=a.index)
    chosen, rejected = a.where(mask, b), b.where(mask, a)
    return pd.DataFrame({
        "prompt": chosen["prompt"], "chosen": chosen["response"], "rejected": rejected["response"],
        "quality_chosen": chosen["quality"].astype(int), "quality_rejected": rejected["quality"].astype(int),
        "length_chosen": chosen["length"].astype(int), "length_rejected": rejected["length"].astype(int),
        "p_chosen": np.where(a_wins, p_a, 1.0 - p_a),
        "truly_better": chosen["quality"].to_numpy() > rejected["quality"].to_numpy(),
    })


def _balanced_targets(a_better: np.ndarray, rng: np.random.Generator, extra_chars: tuple[int, int]):
    """Target lengths with the better response longer in exactly half the pairs (random
    half), the two targets at least 80 characters (more than a padding sentence) apart."""
    n = len(a_better)
    low, high = extra_chars
    if high - low < 80:
        raise ValueError(f"balanced pairs need extra_chars at least 80 wide, got {extra_chars}")
    better_longer = np.zeros(n, dtype=bool)
    better_longer[rng.permutation(n)[: (n + rng.integers(0, 2)) // 2]] = True
    short = rng.integers(low, high - 80 + 1, size=n)
    long = short + rng.integers(80, high - short + 1)
    a_long = better_longer == a_better
    return LONGEST_CORE + np.where(a_long, long, short), LONGEST_CORE + np.where(a_long, short, long)


# Real pairs to compare with: hh-rlhf harmless-base (Bai et al. 2022), MIT licence. Their loader
# moved to workbench.data.sources; these names (and the import above) keep old imports working.
HH_SAMPLE_FILE = HH_HARMLESS.bundled
HH_SHARED_FILE = HH_HARMLESS.shared


def make_policy_pairs(
    n_prompts: int,
    *,
    quality_a: tuple[int, int] = (0, 3),
    quality_b: tuple[int, int] = (1, 4),
    extra_a: tuple[int, int] = (80, 280),
    extra_b: tuple[int, int] = (0, 160),
    seed: int = 0,
) -> pd.DataFrame:
    """Two simulated policies answer the same prompts: A with levels uniform in
    ``quality_a`` (inclusive) and long padding (``extra_a``), B with ``quality_b`` and
    shorter padding. With the defaults B is truly better and A more verbose.

    Returns ``prompt, response_a, response_b, quality_a, quality_b, length_a,
    length_b`` and ``true_outcome`` (1 when A is truly better, 0 when worse, 0.5 for a tie).
    """
    rng = np.random.default_rng(seed)
    topics = rng.integers(len(TOPICS), size=n_prompts)
    a = sample_responses(n_prompts, extra_chars=extra_a, rng=rng, topics=topics,
                         quality=rng.integers(quality_a[0], quality_a[1] + 1, size=n_prompts))
    b = sample_responses(n_prompts, extra_chars=extra_b, rng=rng, topics=topics,
                         quality=rng.integers(quality_b[0], quality_b[1] + 1, size=n_prompts))
    outcome = np.sign(a["quality"] - b["quality"]) / 2 + 0.5
    return pd.DataFrame({"prompt": a["prompt"], "response_a": a["response"], "response_b": b["response"],
                         "quality_a": a["quality"], "quality_b": b["quality"], "length_a": a["length"],
                         "length_b": b["length"], "true_outcome": outcome})
