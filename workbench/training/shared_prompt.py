"""Shared-prompt packing for decoder reward models: a list's prompt is encoded once for all K responses.

A listwise batch normally runs K sequences ``prompt + response_k`` per list, so the
prompt is encoded K times. Here one list becomes ONE row

    [prompt p tokens][response 1][response 2] ... [response K][padding]

with position ids that restart after the prompt for each response (response k's
j-th token sits at position ``p + j``, exactly where it sits in ``prompt + response_k``)
and a block attention mask (B, 1, T, T), True = may attend:

    allowed[q, k] = k <= q  and  (seg[k] == 0  or  seg[k] == seg[q])

where ``seg`` is 0 on prompt tokens, k on response k's tokens and -1 on padding
(padding attends only to itself). The prompt is causal, each response token sees the
whole prompt and the earlier tokens of its own response, never another response. In
a causal decoder every hidden state depends only on the tokens it attends to and on
their positions, so the hidden state of response k's last token, and hence its
reward, is the one of the plain sequence ``prompt + response_k`` (to float rounding).
The cost of the prompt drops from K*p to p tokens per list.

Pairs are lists of two: a chosen and a rejected response after one prompt become one
row ``[prompt][chosen's own tokens][rejected's own tokens]`` (:class:`SharedPairCollator`,
slot 0 chosen, slot 1 rejected) and :func:`shared_pair_objective` applies the pairwise
loss (margins, ties) to the two packed scores. A pair whose texts share no token prefix
is the two sequences side by side (prompt length 0), still exact. The cost per pair
drops from ``2 * (p + r)`` to ``p + 2r`` tokens (and, padded, from ``2 * max`` to one
row), and the attention to the prompt is computed once.

The shared prompt is found in token space: the longest common prefix of the K
encoded sequences (what :func:`workbench.data.encode_records` produced), capped so
that every response keeps at least one token of its own. Nothing about how texts were
rendered or tokenised changes, so the packed scores equal
:func:`workbench.training.score_lists` on the same items.

Attention implementation (transformers 5.24): a 4-D mask is passed through as-is
(``masking_utils`` returns it untouched) to the attention kernel. ``eager`` ADDS the
mask to the attention logits and ``sdpa`` accepts an additive float mask too, so the
boolean mask is turned into an additive one (0 / dtype min) in the model's dtype.
Flash-attention and flex-attention kernels do not take an arbitrary dense 4-D mask:
:func:`score_packed` switches such a model to ``sdpa`` (``set_attn_implementation``),
once, with a warning.

Pooling: the model's own (``last`` for native decoder heads; a
:class:`~workbench.models.PooledRewardModel` may use ``first``/``mean``, computed over
the prompt tokens plus the response's own tokens). Encoders are refused (ValueError):
their attention is bidirectional, so a response would see the other responses.

Training, pairs: on by default. ``TrainConfig.shared_prompt=None`` (auto) packs pairwise
records when it is exact and the loop builds the batches itself (:func:`packs_by_default`:
a causal decoder whose attention takes the dense mask, ``eager``/``sdpa``, no caller
``collate_fn``/``compute_loss``, and not a re-pooled model under DDP); ``False`` turns it off.

Training, lists: ``train(TrainConfig(loss="plackett_luce", shared_prompt=True, ...), records)``
(``workbench train --shared-prompt``), which is ``train(config, as_encoded(records, tok, L),
model=m, tokenizer=tok, collate_fn=SharedPromptCollator(tok.pad_token_id),
compute_loss=shared_prompt_objective("plackett_luce"))`` after checking that the data
are lists and the backbone a decoder.
Native decoder heads run through the (possibly DDP/peft-wrapped) model's own forward
with ``output_hidden_states=True`` and the head is applied to the pooled final hidden
states; a PooledRewardModel runs its backbone directly (under multi-process DDP use the
plain listwise path for such models).
"""
from __future__ import annotations

import os
import warnings

import torch

from workbench import losses
from workbench.errors import UserError
from workbench.models.loading import is_decoder_config, pooling_of, unwrap
from workbench.models.pooled import PooledRewardModel
from workbench.training.objectives import listwise_objective, pairwise_objective, resolve_loss

KERNELS_TAKING_DENSE_MASKS = ("eager", "sdpa")


def shared_prefix_length(seqs: list[list[int]]) -> int:
    """Length of the longest common token prefix of the sequences, at most ``min(len) - 1``."""
    if not seqs or any(len(s) == 0 for s in seqs):
        raise ValueError("every response sequence needs at least one token")
    cap = min(len(s) for s in seqs) - 1
    return min(len(os.path.commonprefix([list(s) for s in seqs])), cap)


def block_mask(segments: torch.Tensor) -> torch.Tensor:
    """(B, 1, T, T) bool from (B, T) segment ids (0 prompt, k response k, -1 padding); True = may attend."""
    t = segments.shape[1]
    causal = torch.ones((t, t), dtype=torch.bool).tril()
    q, k = segments[:, :, None], segments[:, None, :]
    allowed = causal & (k != -1) & (q != -1) & ((k == 0) | (k == q))
    allowed |= torch.eye(t, dtype=torch.bool) & (q == -1)  # padding sees itself (no empty softmax row)
    return allowed[:, None]


class SharedPromptCollator:
    """Encoded ranked lists -> one packed row per list.

    Batch: ``input_ids`` (B, T) long, ``position_ids`` (B, T) long, ``segments`` (B, T)
    long, ``attention_mask`` (B, 1, T, T) bool (True = may attend; see the module
    docstring), ``last`` (B, K_max) long (index of each response's last token; 0 at
    padding slots), ``start`` (B, K_max) long (its first token), ``prompt_length`` (B,),
    and as :class:`~workbench.data.ListwiseCollator`: ``mask`` (B, K_max) bool,
    ``labels`` (B, K_max) float, ``top_k`` (B,) long.
    """

    def __init__(self, pad_token_id: int, *, pad_to_multiple_of: int | None = None):
        self.pad_token_id, self.multiple = pad_token_id, pad_to_multiple_of

    def __call__(self, items: list[dict]) -> dict:
        b_size = len(items)
        k_max = max(len(it["responses"]) for it in items)
        rows, segs, poss = [], [], []
        last = torch.zeros((b_size, k_max), dtype=torch.long)
        start = torch.zeros((b_size, k_max), dtype=torch.long)
        mask = torch.zeros((b_size, k_max), dtype=torch.bool)
        labels = torch.zeros((b_size, k_max), dtype=torch.float32)
        top_k = torch.full((b_size,), k_max, dtype=torch.long)
        prompt_length = torch.zeros(b_size, dtype=torch.long)
        for b, it in enumerate(items):
            seqs = [list(s) for s in it["responses"]]
            if not seqs or len(it["labels"]) != len(seqs):
                raise ValueError(f"item {b}, field 'labels': {len(it['labels'])} labels for {len(seqs)} responses "
                                 f"(a list needs at least one response and one label per response)")
            try:
                p = shared_prefix_length(seqs)
            except ValueError as e:
                raise ValueError(f"item {b}, field 'responses': {e}") from None
            row, seg, pos = list(seqs[0][:p]), [0] * p, list(range(p))
            for k, s in enumerate(seqs):
                start[b, k] = len(row)
                row += s[p:]
                seg += [k + 1] * (len(s) - p)
                pos += list(range(p, len(s)))
                last[b, k] = len(row) - 1
            rows.append(row), segs.append(seg), poss.append(pos)
            mask[b, :len(seqs)] = True
            labels[b, :len(seqs)] = torch.tensor(it["labels"], dtype=torch.float32)
            prompt_length[b] = p
            if it.get("top_k") is not None:
                top_k[b] = it["top_k"]
        t = max(len(r) for r in rows)
        if self.multiple:
            t = -(-t // self.multiple) * self.multiple
        ids = torch.full((b_size, t), self.pad_token_id, dtype=torch.long)
        segments = torch.full((b_size, t), -1, dtype=torch.long)
        positions = torch.zeros((b_size, t), dtype=torch.long)
        for b, (row, seg, pos) in enumerate(zip(rows, segs, poss)):
            ids[b, :len(row)] = torch.tensor(row, dtype=torch.long)
            segments[b, :len(row)] = torch.tensor(seg, dtype=torch.long)
            positions[b, :len(row)] = torch.tensor(pos, dtype=torch.long)
        return {"input_ids": ids, "position_ids": positions, "segments": segments,
                "attention_mask": block_mask(segments), "last": last, "start": start,
                "prompt_length": prompt_length, "mask": mask, "labels": labels, "top_k": top_k}


class SharedPairCollator:
    """Encoded pairs -> one packed row per pair: the shared prompt, then chosen's and rejected's own tokens.

    Batch: as :class:`SharedPromptCollator` with K = 2 (slot 0 chosen, slot 1 rejected;
    ``labels`` 1/0, unused by pairwise losses) plus, as :class:`~workbench.data.PairwiseCollator`,
    ``margin`` (B,) float (0 where a record has none) and ``tie`` (B,) bool.
    """

    def __init__(self, pad_token_id: int, *, pad_to_multiple_of: int | None = None):
        self.lists = SharedPromptCollator(pad_token_id, pad_to_multiple_of=pad_to_multiple_of)

    def __call__(self, items: list[dict]) -> dict:
        for b, it in enumerate(items):
            for side in ("chosen", "rejected"):
                if len(it[side]) == 0:
                    raise ValueError(f"item {b}, field {side!r}: every response sequence needs at least one token")
        batch = self.lists([{"responses": [it["chosen"], it["rejected"]], "labels": [1.0, 0.0]} for it in items])
        batch["margin"] = torch.tensor([it.get("margin") or 0.0 for it in items], dtype=torch.float32)
        batch["tie"] = torch.tensor([bool(it.get("tie")) for it in items], dtype=torch.bool)
        return batch


def _check_model(core) -> None:
    if not is_decoder_config(core.config):
        raise ValueError(f"shared-prompt packing needs a causal decoder (GPT-2, Llama, ...); "
                         f"{core.config.model_type!r} is an encoder whose bidirectional attention would let "
                         f"responses see each other: use workbench.training.listwise_objective")
    if not hasattr(core, "score"):
        raise ValueError(f"{type(core).__name__} has no `score` head; shared-prompt packing needs a "
                         f"*ForSequenceClassification or PooledRewardModel reward model")
    impl = getattr(core.config, "_attn_implementation", "eager")
    if impl not in KERNELS_TAKING_DENSE_MASKS:
        warnings.warn(f"attention {impl!r} cannot take a dense 4-D block mask; switching the model to 'sdpa'",
                      stacklevel=3)
        core.set_attn_implementation("sdpa")


def _pool(hidden: torch.Tensor, batch: dict, pooling: str) -> torch.Tensor:
    """(B, K_max, H) pooled hidden states from the packed (B, T, H) ones."""
    rows = torch.arange(hidden.shape[0], device=hidden.device)[:, None]
    if pooling == "last":
        return hidden[rows, batch["last"].to(hidden.device)]
    if pooling == "first":
        first = torch.where(batch["prompt_length"][:, None] > 0, 0, batch["start"]).to(hidden.device)
        return hidden[rows, first]
    if pooling == "mean":
        seg = batch["segments"].to(hidden.device)
        slot = torch.arange(1, batch["last"].shape[1] + 1, device=hidden.device)
        member = ((seg[:, None, :] == 0) | (seg[:, None, :] == slot[None, :, None])) & (seg[:, None, :] >= 0)
        weights = member.to(hidden.dtype)
        return (weights @ hidden) / weights.sum(-1, keepdim=True).clamp_min(1.0)
    raise ValueError(f"unknown pooling {pooling!r}")


def score_packed(model, batch: dict) -> torch.Tensor:
    """(B, K_max) rewards from a :class:`SharedPromptCollator` batch: one decoder pass per packed row.

    Padding slots (``~batch['mask']``) hold the score of the row's token 0; mask them.
    """
    core = unwrap(model)
    _check_model(core)
    device = next(core.parameters()).device
    dtype = core.get_input_embeddings().weight.dtype
    allowed = batch["attention_mask"].to(device)
    additive = torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill(~allowed, torch.finfo(dtype).min)
    kwargs = {"input_ids": batch["input_ids"].to(device), "attention_mask": additive,
              "position_ids": batch["position_ids"].to(device)}
    if isinstance(core, PooledRewardModel):
        hidden = core.backbone(**kwargs).last_hidden_state
    else:
        hidden = model(**kwargs, output_hidden_states=True).hidden_states[-1]
    pooled = _pool(hidden, batch, pooling_of(core))
    return core.score(pooled.to(core.score.weight.dtype))[..., 0].float()


def shared_prompt_objective(loss: str = "plackett_luce", *, loss_kwargs: dict | None = None,
                            center_weight: float = 0.0):
    """compute_loss(model, batch) -> (loss, metrics) for :class:`SharedPromptCollator` batches.

    The same value as :func:`workbench.training.listwise_objective` on the same lists
    (the scores agree to float rounding): the loss named ``loss`` from
    :mod:`workbench.losses` with ``mask`` for variable K (``top_k`` to Plackett-Luce
    for partial rankings) plus ``center_weight`` times the centering penalty.
    """
    if not losses.is_listwise(loss):
        raise UserError(f"{loss!r} is a pairwise loss; shared-prompt packing scores lists")
    return listwise_objective(loss, loss_kwargs=loss_kwargs, center_weight=center_weight, score_fn=score_packed)


def score_packed_pairs(model, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """(chosen, rejected) rewards (B,) from a :class:`SharedPairCollator` batch, one decoder pass per pair."""
    scores = score_packed(model, batch)
    return scores[:, 0], scores[:, 1]


def shared_pair_objective(loss: str = "bradley_terry", *, loss_kwargs: dict | None = None,
                          center_weight: float = 0.0):
    """compute_loss(model, batch) -> (loss, metrics) for :class:`SharedPairCollator` batches.

    :func:`workbench.training.pairwise_objective` (margins, ties, centering, metrics)
    with the packed scores, so the same value as the plain path to float rounding.
    """
    if losses.is_listwise(loss):
        raise UserError(f"{loss!r} is a listwise loss; shared-prompt packing of pairs needs a pairwise one")
    return pairwise_objective(loss, loss_kwargs=loss_kwargs, center_weight=center_weight,
                              score_fn=score_packed_pairs)


def packs_by_default(config, model, kind: str | None, *, num_processes: int = 1, collate_fn=None,
                     compute_loss=None) -> bool:
    """Whether ``shared_prompt=None`` (auto) packs this run: only where packing is exact and invisible.

    Pairwise records and a pairwise loss; the loop's own collator and objective (a caller's ``compute_loss``
    expects plain batches); a causal decoder with a ``score`` head whose attention kernel
    takes the dense block mask as it is (``eager``/``sdpa``: auto never switches kernels);
    and not a re-pooled :class:`~workbench.models.PooledRewardModel` under multi-process DDP.
    """
    if config.shared_prompt is not None or kind != "pairwise" or collate_fn is not None or compute_loss is not None:
        return False
    if config.loss != "auto" and losses.is_listwise(config.loss):  # the plain path names that mistake
        return False
    core = unwrap(model)
    if not is_decoder_config(core.config) or not hasattr(core, "score"):
        return False
    if getattr(core.config, "_attn_implementation", "eager") not in KERNELS_TAKING_DENSE_MASKS:
        return False
    return not (isinstance(core, PooledRewardModel) and num_processes > 1)


def shared_prompt_parts(config, model, tokenizer, kind: str | None, *, num_processes: int = 1, collate_fn=None):
    """``(collate_fn, compute_loss)`` of packing for ``train(TrainConfig(shared_prompt=True), ...)``
    (lists), or for pairs under auto (``shared_prompt=None`` and :func:`packs_by_default`).

    First checks that packing applies to the run, raising UserError naming what to change:
    the loop must build the collator itself (no caller ``collate_fn``), the records must be
    ranked lists (``kind``), the backbone a causal decoder, and a re-pooled
    :class:`~workbench.models.PooledRewardModel` runs on one process only (its backbone
    is called outside DDP's forward). ``config`` gives the loss, its kwargs and
    ``center_weight``.
    """
    if collate_fn is not None:
        raise UserError("shared_prompt=True builds its own collate_fn; pass one or the other")
    pairs = kind == "pairwise" and config.shared_prompt is None  # auto: packs_by_default said yes
    if kind != "listwise" and not pairs:
        raise UserError(f"shared_prompt=True packs ranked lists; this data holds {kind} records "
                        f"(pairs on a decoder are packed by default: leave shared_prompt unset)")
    core = unwrap(model)
    if not is_decoder_config(core.config):
        raise UserError(f"shared_prompt=True needs a causal decoder backbone; {core.config.model_type!r} is an "
                        f"encoder (its responses would see each other): set shared_prompt=False")
    if isinstance(core, PooledRewardModel) and num_processes > 1:
        raise UserError("shared_prompt=True with a re-pooled (PooledRewardModel) backbone runs outside DDP's "
                        "forward; in multi-process runs use the model's native pooling or shared_prompt=False")
    make, collator = ((shared_pair_objective, SharedPairCollator) if pairs else
                      (shared_prompt_objective, SharedPromptCollator))
    objective = make(resolve_loss(kind, config.loss), loss_kwargs=config.loss_kwargs,
                     center_weight=config.center_weight)
    return collator(tokenizer.pad_token_id), objective
