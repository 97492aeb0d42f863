"""A trained reward model as a TRL reward function: ``reward_model_reward(path)``.

    reward = reward_model_reward("runs/rm")             # loads once; corrections beside it applied
    reward(prompts=["2 + 2 ="], completions=[" 4"])     # [float], as `workbench score` scores it
    GRPOTrainer(..., reward_funcs=[reward])             # logged as rewards/rm_rm/mean

What a call computes, for B completions (TRL passes every completion of the
local batch at once, the ``num_generations`` completions of a prompt side by
side): the score ``workbench score`` writes for the ranked-list record
``{"prompt": p, "responses": [c]}``. That is ``render(prompt, completion)``
(plain text ``prompt + completion``; chat messages through the tokenizer's
chat template), encoded as ``workbench score`` encodes it
(:func:`~workbench.data.encode_records`: cut to ``max_length`` from the prompt's
left), scored by ``workbench eval``'s scorer
(:func:`workbench.evaluation.scoring.score_sequences`: sorted by length, at most
``batch_size`` sequences and ``max_tokens`` padded tokens a batch, inference mode,
dropout off), then the corrections saved beside the checkpoint (length
calibration, centering, temperature:
:class:`~workbench.models.posthoc.PosthocCorrections`, in the order ``workbench
score`` applies them). ``raw=True`` skips the corrections, as ``--raw`` does.
Reusing the CLI's own path is the point: the reward a policy is trained on is
the score a user inspects with ``workbench score``, with no second encoding to
drift from it.

Device. A callable reward is not a model to TRL: ``GRPOTrainer`` moves
``PreTrainedModel`` rewards onto its accelerator but calls ours as it is. So the
reward places its own model: ``device`` when given, else, at the first call,
the device of the running ``accelerate`` state (the trainer's
``accelerator.device``: the process's own GPU under ``accelerate launch``, the
CPU under ``use_cpu=True``), else CUDA if available, else the CPU. The model is
loaded on the CPU at once (a wrong path fails before training starts) and moved
at the first call. Scores come back as Python floats, which TRL puts on its
device itself.

The PRM as a reward is :func:`workbench.prm.reward.prm_reward`: it lives in
``prm`` because ``prm`` already imports ``rewards`` (the sandbox for code
steps), so the arrow cannot point back.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from workbench.rewards._text import column

DEFAULT_MAX_LENGTH = 512  # `workbench score --max-length`'s default, so both score the same tokens
DEFAULT_BATCH_SIZE = 64  # one GRPO step's completions in a few passes; the length sort keeps padding small
# Padded tokens per batch (`workbench eval`'s budget): long completions come in smaller batches, so
# one 500-token outlier does not pad 63 short ones to its length (measured: benchmarks/RESULTS.md).
MAX_TOKENS = 4096


def resolve_device(device=None):
    """``device``, else the running ``accelerate`` state's device, else ``cuda`` if available, else ``cpu``."""
    import torch

    if device is not None:
        return torch.device(device)
    from accelerate.state import PartialState

    if PartialState._shared_state:  # initialised: a trainer (or the user) chose the device already
        return PartialState().device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _prompt_key(prompt) -> str:
    return prompt if isinstance(prompt, str) else repr(prompt)


def score_completions(model, tokenizer, prompts: Sequence, completions: Sequence, *, corrections=None,
                      max_length: int = DEFAULT_MAX_LENGTH, batch_size: int = DEFAULT_BATCH_SIZE,
                      max_tokens: int | None = MAX_TOKENS) -> np.ndarray:
    """Rewards ``(B,)`` of B (prompt, completion) pairs, as ``workbench score`` scores them.

    prompts, completions: B strings or B chat message lists each (a prompt may be
    ``""``). corrections: a :class:`~workbench.models.posthoc.PosthocCorrections`
    (None: raw scores). A batch holds at most ``batch_size`` sequences and ``max_tokens``
    padded tokens (None: no limit). The model scores on the device it is on.
    """
    from workbench.data import RankedList, encode_records
    from workbench.evaluation.scoring import score_sequences

    completions = list(completions)
    prompts = column(prompts, "prompts", len(completions))
    if not completions:
        return np.zeros(0)
    # RankedList is only the carrier that encode_records renders and truncates (as in `workbench score`)
    records = [RankedList(prompt=p, responses=[c], labels=[0.0]) for p, c in zip(prompts, completions)]
    sequences = [item["responses"][0] for item in encode_records(records, tokenizer, max_length=max_length).items]
    values = score_sequences(model, sequences, tokenizer.pad_token_id, batch_size=batch_size, max_tokens=max_tokens)
    if corrections is None or not corrections.names:
        return values
    groups: dict[str, list[int]] = {}
    for index, prompt in enumerate(prompts):  # one apply per prompt, as workbench score does per record
        groups.setdefault(_prompt_key(prompt), []).append(index)
    for index in groups.values():
        values[index] = corrections.apply(prompts[index[0]], [completions[i] for i in index], values[index],
                                          tokenizer=tokenizer)
    return values


def reward_model_reward(path: str | Path, *, batch_size: int = DEFAULT_BATCH_SIZE, device=None,
                        max_length: int | None = None, raw: bool = False, name: str | None = None,
                        max_tokens: int | None = MAX_TOKENS):
    """A reward-model checkpoint as ``f(prompts, completions, **kwargs) -> list[float]`` (see module doc).

    path: a checkpoint folder (``workbench train``'s output, or any model that
        :func:`~workbench.models.load_reward_model` loads: encoders such as the default
        MiniLM, decoders such as the world's tiny Llama saved with ``save_pretrained``).
    batch_size, max_tokens: at most this many completions and padded tokens per forward pass.
    device: see the module doc.
    max_length: tokens per scored sequence (None: 512 as ``workbench score``, or the
        model's position limit when smaller). raw: skip the saved corrections.
    name: ``__name__``, what TRL logs (``rewards/<name>/mean``); default ``rm_<folder name>``.

    The returned function carries ``model``, ``tokenizer`` and ``corrections``.

    >>> from workbench.paths import default_backbone
    >>> reward = reward_model_reward(default_backbone(), name="minilm")
    >>> scores = reward(prompts=["Q: 2 + 2? A:"] * 2, completions=[" 4", [{"role": "assistant", "content": "4"}]])
    >>> reward.__name__, len(scores), all(isinstance(s, float) for s in scores)
    ('minilm', 2, True)
    """
    from workbench.models import load_reward_model
    from workbench.models.loading import new_head_expected
    from workbench.models.posthoc import PosthocCorrections, load_posthoc
    from workbench.training.loop import check_max_length, position_limit

    if batch_size < 1:
        raise ValueError(f"batch_size: expected at least 1, got {batch_size}")
    with new_head_expected():  # a bare backbone (the MiniLM itself) gets a new head: nothing to report
        model, tokenizer = load_reward_model(str(path))
    model.eval().requires_grad_(False)  # scoring only: no dropout, no autograd state kept
    if max_length is None:
        max_length = min(DEFAULT_MAX_LENGTH, position_limit(model) or DEFAULT_MAX_LENGTH)
    check_max_length(max_length, model, "max_length")
    corrections = PosthocCorrections() if raw else load_posthoc(path)
    placed = []  # the device, once chosen at the first call

    def reward(prompts=None, completions=None, **kwargs) -> list[float]:
        if completions is None:
            raise ValueError("completions: this reward needs TRL's completions (one per prompt)")
        if not placed:
            placed.append(resolve_device(device))
            model.to(placed[0])
        if prompts is None:  # called on completions alone: score them with no prompt
            prompts = [""] * len(completions)
        return score_completions(model, tokenizer, prompts, completions, corrections=corrections,
                                 max_length=max_length, batch_size=batch_size, max_tokens=max_tokens).tolist()

    reward.__name__ = name or f"rm_{Path(str(path)).name or 'model'}"
    reward.model, reward.tokenizer, reward.corrections = model, tokenizer, corrections
    return reward
