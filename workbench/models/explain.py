"""Looking inside a reward model: where its parameters are, and what pooling does with padding."""
from __future__ import annotations

import pandas as pd
import torch

from workbench.data import pad_sequences
from workbench.models.loading import eval_mode, forward_scores, is_decoder_config, pooling_of, unwrap
from workbench.models.pooled import PooledRewardModel


def parameter_table(model) -> pd.DataFrame:
    """Parameters per part: embeddings, transformer layers, pooler, head (rows), with counts and share."""
    model = unwrap(model)
    groups: dict[str, int] = {}
    for name, p in model.named_parameters():
        if "embed" in name or ".wte." in name or ".wpe." in name:
            part = "embeddings"
        elif name.startswith(("classifier", "score")) or ".score." in name:
            part = "head (hidden -> 1)"
        elif "pooler" in name:
            part = "pooler (dense + tanh on [CLS])"
        else:
            part = "transformer layers"
        groups[part] = groups.get(part, 0) + p.numel()
    table = pd.DataFrame({"part": list(groups), "parameters": list(groups.values())})
    table["share"] = table["parameters"] / table["parameters"].sum()
    return table


@torch.no_grad()
def padding_table(model, tokenizer, texts: list[str]) -> pd.DataFrame:
    """Rewards of each text alone, in a right- and a left-padded batch, and with naive last-position pooling.

    Naive pooling takes the hidden state at position L-1 of the padded batch, which is
    a pad token for every text shorter than the longest: the column shows what goes
    wrong without the last-non-padding-token rule. Decoder models only; scored without
    dropout, and the model is left in the mode it was found in.
    """
    base = unwrap(model)
    if not is_decoder_config(base.config):
        raise ValueError("padding_table is for decoder (last-token) reward models")
    seqs = [tokenizer(t)["input_ids"] for t in texts]
    columns = {"text": texts, "tokens": [len(s) for s in seqs]}
    with eval_mode(base):
        columns["alone"] = [forward_scores(base, torch.tensor([s]), torch.ones(1, len(s), dtype=torch.long)).item()
                            for s in seqs]
        for side in ("right", "left"):
            ids, mask = pad_sequences(seqs, tokenizer.pad_token_id, padding_side=side)
            columns[f"{side}_padded"] = forward_scores(base, ids, mask).tolist()
        ids, mask = pad_sequences(seqs, tokenizer.pad_token_id, padding_side="right")
        columns["naive_last_position"] = _naive_last_position(base, ids, mask).tolist()
    return pd.DataFrame(columns)


def _naive_last_position(model, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    if isinstance(model, PooledRewardModel):
        hidden = model.backbone(input_ids=ids, attention_mask=mask).last_hidden_state
        return model.score(hidden[:, -1])[:, 0]
    hidden = model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
    head = getattr(model, "score", None) or getattr(model, "classifier")
    return head(hidden[:, -1])[:, 0]


def describe(model) -> dict:
    """Architecture class, decoder or encoder, pooling, hidden size: one line of facts for a notebook."""
    model = unwrap(model)
    return {"class": type(model).__name__, "decoder": is_decoder_config(model.config),
            "pooling": pooling_of(model), "hidden_size": model.config.hidden_size,
            "parameters": sum(p.numel() for p in model.parameters())}
