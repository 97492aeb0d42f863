"""Rollout policies backed by real models: a local ``transformers`` causal LM
and any OpenAI-compatible completions server (vLLM's server is the GPU backend).

Both implement ``rollout(prompt, prefix, n) -> list[str]`` and
``next_steps(prompt, prefix, n) -> list[str]`` (one step each, for step-level
beam search). The solution text is ``prompt`` + newline + one step per line.
A local model generates in eval mode (no dropout) and is given back in the mode
it was found in (``workbench.models.eval_mode``), so a policy that is also being
trained can be sampled from between steps.
"""
from __future__ import annotations

import inspect

import torch

from workbench.models import eval_mode
from workbench.prm._http import post_json


def solution_text(prompt: str, prefix: list[str]) -> str:
    """The text a policy continues: the prompt, then one step per line."""
    return prompt + "\n" + "".join(step + "\n" for step in prefix)


@torch.no_grad()
def generate_batch(model, tokenizer, texts: list[str], *, max_new_tokens: int, do_sample: bool = True,
                   temperature: float = 1.0, num_return_sequences: int = 1) -> list[str]:
    """Left-padded batched generation; returns the new text only, ``len(texts) * num_return_sequences``
    strings grouped by input. The model runs in eval mode and keeps the mode it had."""
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    try:
        batch = tokenizer(texts, return_tensors="pt", padding=True).to(model.device)
    finally:
        tokenizer.padding_side = side
    batch = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}  # no token types
    with eval_mode(model):
        output = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=do_sample,
                                temperature=temperature if do_sample else None,
                                num_return_sequences=num_return_sequences, pad_token_id=tokenizer.pad_token_id)
    new = output[:, batch["input_ids"].shape[1]:]
    return tokenizer.batch_decode(new, skip_special_tokens=True)


class TransformersPolicy:
    """Rollouts from a local causal LM.

    ``rollout`` encodes the prefix once, runs it through the model once, and
    copies its KV cache to the ``n`` samples (``DynamicCache.batch_repeat_interleave``),
    so the prefix costs one forward pass instead of ``n``. ``rollouts`` counts
    completions generated.
    """

    def __init__(self, model, tokenizer, *, max_new_tokens: int = 256, temperature: float = 0.8,
                 reuse_prefix_cache: bool = True, do_sample: bool = True):
        self.model, self.tokenizer = model, tokenizer
        self.max_new_tokens, self.temperature = max_new_tokens, temperature
        self.reuse_prefix_cache, self.do_sample = reuse_prefix_cache, do_sample
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.rollouts = 0

    @torch.no_grad()
    def _sample(self, text: str, n: int, max_new_tokens: int, stop_strings=None) -> list[str]:
        ids = self.tokenizer(text, return_tensors="pt")["input_ids"].to(self.model.device)
        kwargs = dict(max_new_tokens=max_new_tokens, do_sample=self.do_sample,
                      temperature=self.temperature if self.do_sample else None,
                      pad_token_id=self.tokenizer.pad_token_id)
        if stop_strings:
            kwargs.update(stop_strings=stop_strings, tokenizer=self.tokenizer)
        inputs = {"input_ids": ids.repeat(n, 1), "attention_mask": torch.ones_like(ids).repeat(n, 1)}
        with eval_mode(self.model):
            if self.reuse_prefix_cache and ids.shape[1] > 1:
                from transformers import DynamicCache

                cache = DynamicCache()
                # transformers >= 5.2x names the argument `cache`; older releases `past_key_values`
                name = "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"
                self.model(input_ids=ids[:, :-1], use_cache=True, **{name: cache})
                cache.batch_repeat_interleave(n)
                output = self.model.generate(**inputs, **{name: cache}, **kwargs)
            else:
                output = self.model.generate(**inputs, **kwargs)
        return self.tokenizer.batch_decode(output[:, ids.shape[1]:], skip_special_tokens=True)

    def rollout(self, prompt: str, prefix: list[str], n: int) -> list[str]:
        self.rollouts += n
        return self._sample(solution_text(prompt, prefix), n, self.max_new_tokens)

    def rollout_many(self, requests: list[tuple[str, list[str]]], n: int, *, batch_size: int = 8) -> list[list[str]]:
        """``n`` rollouts for each ``(prompt, prefix)``, generated ``batch_size`` prefixes at a time
        (left-padded; each prefix repeated ``n`` times in the batch)."""
        texts = [solution_text(prompt, prefix) for prompt, prefix in requests]
        outputs: list[list[str]] = []
        for start in range(0, len(texts), batch_size):
            chunk = [text for text in texts[start:start + batch_size] for _ in range(n)]
            generated = generate_batch(self.model, self.tokenizer, chunk, max_new_tokens=self.max_new_tokens,
                                       do_sample=self.do_sample, temperature=self.temperature)
            outputs += [generated[i:i + n] for i in range(0, len(generated), n)]
        self.rollouts += n * len(requests)
        return outputs

    def next_steps(self, prompt: str, prefix: list[str], n: int) -> list[str]:
        self.rollouts += n
        # stop at the newline when the tokenizer has one (BERT-style vocabularies drop it)
        stop = ["\n"] if self.tokenizer.encode("\n", add_special_tokens=False) else None
        texts = self._sample(solution_text(prompt, prefix), n, min(self.max_new_tokens, 96), stop)
        return [text.split("\n")[0].strip() for text in texts]


class HTTPPolicy:
    """Rollouts from an OpenAI-compatible ``/v1/completions`` server (vLLM, TGI, llama.cpp).

    One request per prefix asks for ``n`` samples; vLLM's prefix caching then
    shares the prefix's KV cache across them on the server. A connection error
    or a 429/5xx is retried ``retries`` times with exponential backoff, then
    raised (``workbench.prm._http.post_json``).
    """

    def __init__(self, base_url: str, model: str, *, max_tokens: int = 256, temperature: float = 0.8,
                 timeout: float = 120.0, api_key: str | None = None, retries: int = 2):
        self.url = base_url.rstrip("/") + "/completions"
        self.model, self.max_tokens, self.temperature = model, max_tokens, temperature
        self.timeout, self.api_key, self.retries = timeout, api_key, retries
        self.rollouts = 0

    def _complete(self, text: str, n: int, stop=None, max_tokens=None) -> list[str]:
        payload = {"model": self.model, "prompt": text, "n": n, "temperature": self.temperature,
                   "max_tokens": max_tokens or self.max_tokens}
        if stop:
            payload["stop"] = stop
        body = post_json(self.url, payload, api_key=self.api_key, timeout=self.timeout, retries=self.retries,
                         name="policy endpoint")
        try:
            choices = sorted(body["choices"], key=lambda c: c.get("index", 0))
            texts = [choice["text"] for choice in choices]
        except (KeyError, TypeError):
            raise RuntimeError(f"policy endpoint {self.url}: unexpected reply {str(body)[:200]}") from None
        if len(texts) != n:
            raise RuntimeError(f"policy endpoint {self.url}: asked for {n} samples, got {len(texts)}")
        self.rollouts += n
        return texts

    def rollout(self, prompt: str, prefix: list[str], n: int) -> list[str]:
        return self._complete(solution_text(prompt, prefix), n)

    def next_steps(self, prompt: str, prefix: list[str], n: int) -> list[str]:
        texts = self._complete(solution_text(prompt, prefix), n, stop=["\n"], max_tokens=96)
        return [text.split("\n")[0].strip() for text in texts]
