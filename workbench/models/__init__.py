"""Reward models: any Hugging Face backbone + pooling + a linear head to one value.

    model, tokenizer = load_reward_model()                 # offline MiniLM, [CLS] pooling
    model, tokenizer = load_reward_model("Qwen/Qwen2.5-0.5B", pooling="auto")   # last token
    rewards = score_texts(model, tokenizer, ["a text", "another"])            # (N,) floats
    save_reward_model(model, tokenizer, "out/")   # plain transformers checkpoint

A reward model is a ``transformers`` ``PreTrainedModel`` whose ``logits`` are (N, 1).
With ``pooling="auto"`` it is the backbone's own ``AutoModelForSequenceClassification``
(decoders: the last non-padding token, found from ``pad_token_id``; encoders: the first
token), so ``AutoModelForSequenceClassification.from_pretrained(path)`` and
``pipeline("text-classification", model=path, function_to_apply="none")`` give the same
scores with no workbench import. :func:`ensure_pad_token` gives decoders a pad token
distinct from eos, so a real trailing eos is never mistaken for padding. Other poolings
(``first``/``last``/``mean`` against the grain) use :class:`PooledRewardModel`, saved with
its self-contained code and its own ``model_type``: plain transformers loads it with
``trust_remote_code=True`` and refuses it without (never a backbone with random weights).
Every save is written beside its folder and moved in once complete, and a folder whose
run has not finished is refused (:mod:`workbench.models.checkpoint_files`). A tokenizer
without a chat template (encoders such as the default MiniLM) gets a plain
``role: content`` one (:data:`~workbench.models.loading.DEFAULT_CHAT_TEMPLATE`), saved with it.

:func:`forward_scores` ``(model, input_ids, attention_mask) -> (N,)`` is the one place
that runs a reward model; it passes position ids from the mask, so left and right
padding give the same rewards. Other heads (PRM token heads, two-head ODIN models) are
any ``nn.Module``; the training loop only needs their ``compute_loss`` function.
:func:`eval_mode` scores without dropout and gives the model back in the mode it had.
The corrections saved beside a checkpoint (length calibration, centering) and their
apply are in :mod:`workbench.models.posthoc`.
"""
from workbench._lazy import lazy_exports

# Where each public name lives; imported on first use (PEP 562), so that light modules of this
# package (checkpoint_files, posthoc) and `workbench --help` do not pay for transformers.
_HOME = {
    **dict.fromkeys(("ensure_pad_token", "eval_mode", "forward_scores", "is_decoder_config", "load_reward_model",
                     "native_pooling", "pooling_of", "position_ids_for", "resolve_pooling",
                     "reward_model_from_config", "save_reward_model", "score_texts", "unwrap"), "loading"),
    **dict.fromkeys(("POOLINGS", "PooledRewardModel", "pool_hidden"), "pooled"),
}


# loading.py registers the pooled classes with transformers' Auto* before any name is used
__getattr__, __dir__ = lazy_exports(__name__, _HOME, first="workbench.models.loading")


__all__ = [
    "load_reward_model", "reward_model_from_config", "save_reward_model", "score_texts", "forward_scores",
    "ensure_pad_token", "eval_mode", "is_decoder_config", "native_pooling", "resolve_pooling", "pooling_of",
    "position_ids_for", "unwrap", "PooledRewardModel", "pool_hidden", "POOLINGS",
]
