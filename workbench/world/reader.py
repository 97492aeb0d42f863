"""A verifier that reads each token with a language model's eyes: the reader's surprise as an input.

    prm = reading_scorer(tokenizer, policy, hidden=64, layers=2)  # the policy's backbone, reading the policy
    prm(input_ids=ids, attention_mask=mask).logits                # (B, T, 1), like a token scorer
    rm = reading_scorer(tokenizer, policy, hidden=64, layers=2, pool="last")
    rm(input_ids=ids, attention_mask=mask).logits                 # (B, 1): read at each row's last real token
    ReadingScorer(scorer, reader, solution_start_id=newline_id)   # any token scorer, any causal LM of its vocabulary

Why: a 2-layer, 64-wide verifier cannot check a sum by itself. Checking the
units digit of ``21 - 4 = 17`` means computing ``(21 - 4) mod 10`` *at the
digit's own position* and comparing it with the token there; the policy
computes it one position earlier, to predict the digit, and a verifier of the
policy's depth has no layer left to make the comparison (measured in
``benchmarks/RESULTS.md``: more data, depth, dense labels and optimiser steps
left slip detection at two thirds). The comparison a language model makes for
free is ``log p(x_t | x_<t)``: its next-token distribution against the token
that came. So the verifier gets, at every position ``t``, the reader's surprise

    s_t = -log p_reader(x_t | x_<t)          (s_0 = 0: nothing predicts the first token)

twice: as a learned embedding of ``bucket(s_t)`` added to the token's
embedding, so its layers can learn which surprises matter (a wrong digit, not
an unusual name), and as the largest surprise of the solution so far,

    m_t = max_{u <= t, u in the solution} s_u,      logit_t = scorer(x, s)_t + w[bucket(m_t)]

a learned weight per bucket added to the logit read at ``t``: one error
anywhere before ``t`` is visible at ``t`` without a layer having to carry it
there. Measured (``benchmarks/RESULTS.md``): with the embedding alone the
verifiers still learnt the across-problem shortcut ("a small answer is a right
answer") first; the running maximum alone, untrained, picks the right answer of
16 candidates 57% of the time. Cobbe et al. (2021) train a verifier with a
language-modelling loss beside its value head for the same reason; Zhang et al.
(2024, *Generative Verifiers*) read the verdict off next-token probabilities.

Fairness: the ORM and the PRM of a comparison are the same ``ReadingScorer``
on the same text, read at the answer line only (ORM) or at every step's end
(PRM); only the supervision differs. Both see ``m_t``, so the ORM read at the
end sees the most surprising token of the whole solution: the PRM's advantage
is in what its labels say, not in what it can see. The reader is frozen and causal, so a
step's score still depends on the question and the steps up to it only.
"""
from __future__ import annotations

import copy

import torch

#: surprise bucket edges in nats: 0.1 ~ p 0.9, 1 ~ p 0.37, 3 ~ p 0.05, 6 ~ p 0.0025
SURPRISE_EDGES = (0.05, 0.1, 0.2, 0.4, 0.7, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
#: where the logits are read: every token (a PRM) or each row's last real token (a sequence reward model)
POOLS = ("token", "last")


class ReadingScorer(torch.nn.Module):
    """``scorer`` (a token classifier) that also reads ``reader``'s per-token surprise.

    scorer: ``AutoModelForTokenClassification`` (one logit a token). reader: a
    causal LM over the same vocabulary; a frozen copy is kept, in eval mode,
    never trained (the caller's model is left as it was: a policy that reads
    for a verifier can still be trained itself). solution_start_id: the token that ends the question (the world's
    newline); the running maximum ``m_t`` covers the tokens after its first
    occurrence only, because the question is not the reader's writing.
    embedding_std: the surprise embedding's initial scale (why not zero: the
    layers must be able to use the surprise from the first step, before the
    shortcut features are learnt). max_scale: the 12 weights of ``w`` enter the
    logit times this, a learning-rate multiplier: Adam moves each parameter by
    about the learning rate a step, so 12 weights against the backbone's
    thousands lose the race to the across-problem shortcut unless their steps
    count more (measured: the ORM of seed 1 fell below random without it).
    pool: ``"token"`` (default) gives every token's logit ``(B, T, 1)``, a PRM's
    view; ``"last"`` gives ``(B, 1)``, the logit at each row's last real token
    (the last 1 of ``attention_mask``, either padding side), a sequence
    classifier's view, so ``training.train`` can score pairs and lists with it.
    Its ``m_t`` there is the largest surprise of the whole solution. Pair and
    list packing (``TrainConfig.shared_prompt``) must be off: the reader gets
    the attention mask only, not the packed block mask.
    """

    def __init__(self, scorer, reader, *, solution_start_id: int, embedding_std: float = 0.1,
                 max_scale: float = 10.0, seed: int = 0, pool: str = "token"):
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
        self.pool = pool
        if reader.config.vocab_size != scorer.config.vocab_size:
            raise ValueError(f"reader vocabulary {reader.config.vocab_size} != scorer's {scorer.config.vocab_size}")
        self.scorer = scorer
        self.reader = copy.deepcopy(reader).eval()
        for parameter in self.reader.parameters():
            parameter.requires_grad_(False)
        self.solution_start_id = int(solution_start_id)
        hidden = scorer.get_input_embeddings().embedding_dim
        generator = torch.Generator().manual_seed(seed)
        self.surprise_embedding = torch.nn.Embedding(len(SURPRISE_EDGES) + 1, hidden)
        with torch.no_grad():
            self.surprise_embedding.weight.copy_(torch.randn(len(SURPRISE_EDGES) + 1, hidden,
                                                             generator=generator) * embedding_std)
        self.max_scale = float(max_scale)
        self.max_weight = torch.nn.Embedding(len(SURPRISE_EDGES) + 1, 1)
        torch.nn.init.zeros_(self.max_weight.weight)
        self.register_buffer("edges", torch.tensor(SURPRISE_EDGES), persistent=False)

    @property
    def config(self):
        return self.scorer.config

    def train(self, mode: bool = True):
        super().train(mode)
        self.reader.eval()  # the reader's numbers never change with the mode
        return self

    @torch.no_grad()
    def surprise(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T)`` surprise ``-log p_reader(x_t | x_<t)`` in nats; 0 at ``t = 0`` and on padding."""
        mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask
        logits = self.reader(input_ids=input_ids, attention_mask=mask).logits.float()
        log_probs = torch.log_softmax(logits[:, :-1], dim=-1)
        taken = -log_probs.gather(-1, input_ids[:, 1:, None])[..., 0]
        surprise = torch.cat([torch.zeros_like(taken[:, :1]), taken], dim=1)
        return surprise * mask.to(surprise.dtype)

    def running_max(self, input_ids: torch.Tensor, surprise: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` ``m_t``: the largest surprise after the question up to ``t`` (0 inside the question)."""
        started = torch.cumsum((input_ids == self.solution_start_id).long(), dim=1) > 0
        started = started & (torch.cumsum(started.long(), dim=1) > 1)  # the question's own newline is not counted
        return torch.cummax(torch.where(started, surprise, torch.zeros_like(surprise)), dim=1).values

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs):
        surprise = self.surprise(input_ids, attention_mask)
        embeds = (self.scorer.get_input_embeddings()(input_ids)
                  + self.surprise_embedding(torch.bucketize(surprise, self.edges)))
        out = self.scorer(inputs_embeds=embeds, attention_mask=attention_mask, **kwargs)
        peak = torch.bucketize(self.running_max(input_ids, surprise), self.edges)
        logits = out.logits + self.max_scale * self.max_weight(peak).to(out.logits.dtype)
        if self.pool == "last":
            mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask
            positions = torch.arange(mask.shape[1], device=mask.device)
            last = (mask.long() * positions).argmax(dim=1)  # the last real token, left or right padding
            logits = logits[torch.arange(logits.shape[0], device=logits.device), last]
        out.logits = logits
        return out


def reading_scorer(tokenizer, init, *, pool: str = "token", seed: int = 0, owner: str = "reader=True", **sizes):
    """A :class:`ReadingScorer` over a token scorer started from ``init``'s backbone, with ``init`` as the reader.

    The one constructor the world's verifiers, group RMs and proxies share.
    sizes: ``world.models.tiny_step_scorer``'s (arch, hidden, layers, heads,
    max_positions), the same as ``init``'s. owner: the setting named in the
    error when ``init`` is missing.
    """
    from workbench.world.models import tiny_step_scorer
    from workbench.world.verifiers import _start_from

    if init is None:
        raise ValueError(f"{owner} reads the policy's surprise: pass init=<the policy>, or set reader=False")
    newline = tokenizer.convert_tokens_to_ids(tokenizer.tokenize("\n"))[0]
    return ReadingScorer(_start_from(tiny_step_scorer(tokenizer, seed=seed, **sizes), init), init,
                         solution_start_id=newline, seed=seed, pool=pool)


__all__ = ["POOLS", "ReadingScorer", "SURPRISE_EDGES", "reading_scorer"]
