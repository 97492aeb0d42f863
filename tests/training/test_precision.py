"""mixed_precision="auto": bf16 on a CPU only with native bf16 and enough tokens per forward pass;
explicit values and the GPU rule unchanged; the choice reaches the result and metrics.json."""
import json

import pytest
import torch

from workbench.data import encode_records, load_records
from workbench.models.tiny import tiny_reward_model
from workbench.training import TrainConfig, train
from workbench.training import precision as precision_module
from workbench.training.cli import write_summary
from workbench.training.precision import (CPU_BF16_MIN_LENGTH, CPU_BF16_MIN_TOKENS, CPU_BF16_MIN_WIDTH,
                                          choose_precision, cpu_has_native_bf16, model_width, precision_for_run,
                                          tokens_per_micro_step)

from .test_train import word_pairs

LARGE = 16 * 2 * 256  # 16 pairs of 256 tokens: 2.17x faster in bf16 on the measured AMX CPU
TINY = 1 * 2 * 16  # 1 pair of 16 tokens: 0.70x, autocast's casts dominate
MINILM = 384  # the width the token thresholds were measured at


def cpu(tokens, *, length=None, width=MINILM, native=True) -> str:
    return choose_precision("auto", cuda=False, cpu_bf16=native, tokens=tokens, length=length, width=width).precision


@pytest.mark.parametrize("requested", ["no", "bf16", "fp16"])
@pytest.mark.parametrize("cuda", [False, True])
def test_an_explicit_precision_is_always_kept(requested, cuda):
    for tokens in (TINY, LARGE, None):
        choice = choose_precision(requested, cuda=cuda, cuda_bf16=True, cpu_bf16=True, tokens=tokens, width=MINILM)
        assert choice.precision == requested and choice.reason == "requested"


def test_auto_on_a_cpu_needs_native_bf16_a_large_step_long_sequences_and_a_wide_model():
    """fp32 / bf16 as measured: 0.74x at 2 x 16 tokens, 1.3-2.2x at 32 x 32 .. 32 x 512 (MiniLM, 384 wide),
    0.96x at 64 x 16, 0.5-0.9x for models 32-128 wide even at 32 x 128."""
    assert cpu(LARGE, length=256) == cpu(LARGE) == "bf16"
    short = choose_precision("auto", cuda=False, cpu_bf16=True, tokens=64 * 16, length=16, width=MINILM)
    assert short.precision == "no" and f"< {CPU_BF16_MIN_LENGTH}" in short.reason
    assert cpu(LARGE, length=CPU_BF16_MIN_LENGTH) == "bf16"
    assert cpu(TINY) == "no" and cpu(LARGE, native=False) == "no"
    assert cpu(None) == "no"  # a caller's collator: tokens unknown
    narrow = choose_precision("auto", cuda=False, cpu_bf16=True, tokens=32 * 128, width=128)
    assert narrow.precision == "no" and "width 128" in narrow.reason
    assert cpu(LARGE, width=CPU_BF16_MIN_WIDTH) == "bf16" and cpu(LARGE, width=None) == "no"
    at, below = (choose_precision("auto", cuda=False, cpu_bf16=True, tokens=t, width=MINILM) for t in (
        CPU_BF16_MIN_TOKENS, CPU_BF16_MIN_TOKENS - 1))
    assert (at.precision, below.precision) == ("bf16", "no") and at.label == "bf16" and below.label == "fp32"
    assert "native bf16" in at.reason and f">= {CPU_BF16_MIN_TOKENS}" in at.reason


def test_auto_on_a_gpu_is_unchanged_bf16_where_supported_whatever_the_step():
    for tokens, width in ((TINY, 32), (LARGE, MINILM), (None, None)):
        assert choose_precision("auto", cuda=True, cuda_bf16=True, tokens=tokens, width=width).precision == "bf16"
        assert choose_precision("auto", cuda=True, cuda_bf16=False, cpu_bf16=True, tokens=tokens,
                                width=width).precision == "no"


def test_model_width_reads_the_config():
    assert model_width(tiny_reward_model("gpt2", seed=0)[0]) == 32  # n_embd, as hidden_size
    assert model_width(torch.nn.Linear(2, 2)) is None


def test_tokens_per_micro_step_counts_every_sequence_of_a_forward_pass():
    """batch 4 x 2 sequences x mean longest (10 + 30) / 2 = 20 -> 160 tokens."""
    assert tokens_per_micro_step([10, 30], 4) == 160
    assert tokens_per_micro_step([10, 30], 4, sequences_per_item=4) == 320
    assert tokens_per_micro_step([], 4) == 0


def test_native_bf16_check_follows_the_cpu_flags_and_never_raises(monkeypatch):
    monkeypatch.setattr(precision_module.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True, raising=False)
    assert cpu_has_native_bf16() is True
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    assert cpu_has_native_bf16() is False  # plain AVX-512: oneDNN only emulates bf16

    def broken():
        raise RuntimeError("no such op in this build")

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", broken, raising=False)
    assert cpu_has_native_bf16() is False
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    assert cpu_has_native_bf16() is False
    monkeypatch.setattr(precision_module.platform, "machine", lambda: "aarch64")
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", broken, raising=False)
    assert cpu_has_native_bf16() is False
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True, raising=False)
    assert cpu_has_native_bf16() is True


@pytest.fixture()
def native_bf16(monkeypatch):
    """A CPU that has (or lacks) native bf16, whatever this machine is."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def set_to(flag: bool):
        monkeypatch.setattr(precision_module, "cpu_has_native_bf16", lambda: flag)
    return set_to


def test_precision_for_run_counts_tokens_from_the_encoded_data(native_bf16, monkeypatch):
    _, tok = tiny_reward_model("gpt2", seed=0)
    data = encode_records(load_records(word_pairs(32)), tok, max_length=32)
    tokens = 2 * sum(data.lengths) / len(data.lengths)  # per pair
    native_bf16(True)
    monkeypatch.setattr(precision_module, "CPU_BF16_MIN_LENGTH", 1)  # word pairs are ~10 tokens long
    monkeypatch.setattr(precision_module, "CPU_BF16_MIN_WIDTH", 1)  # the tiny GPT-2 is 32 wide
    model, _ = tiny_reward_model("gpt2", seed=0)
    small, large = (precision_for_run("auto", data=data, batch_size=b, model=model) for b in (
        4, int(CPU_BF16_MIN_TOKENS / tokens) + 1))
    assert (small.precision, large.precision) == ("no", "bf16")
    assert precision_for_run("auto", data=None, batch_size=10_000, model=model).precision == "no"  # own collator
    assert precision_for_run("auto", data=data, batch_size=10_000, model=None).precision == "no"  # width unknown
    native_bf16(False)
    assert precision_for_run("auto", data=data, batch_size=10_000, model=model).precision == "no"
    assert precision_for_run("bf16", data=data, batch_size=1).precision == "bf16"
    native_bf16(True)
    monkeypatch.setattr(precision_module, "CPU_BF16_MIN_LENGTH", 24)
    assert "on average < 24" in precision_for_run("auto", data=data, batch_size=10_000, model=model).reason
    monkeypatch.setattr(precision_module, "CPU_BF16_MIN_WIDTH", 256)
    assert "width 32 < 256" in precision_for_run("auto", data=data, batch_size=10_000, model=model).reason


def test_train_records_the_choice_and_a_tiny_run_stays_in_fp32(tmp_path, native_bf16, capsys):
    """The tests' own tiny runs (8 pairs of <= 12 tokens, a 32-wide model) keep fp32 even on a bf16 CPU."""
    native_bf16(True)
    model, tok = tiny_reward_model("gpt2", seed=0)
    config = TrainConfig(output_dir=str(tmp_path / "run"), batch_size=8, max_length=32, learning_rate=3e-3,
                         warmup_ratio=0.0, max_steps=3, log_every=1, save_model=False)
    result = train(config, word_pairs(32), model=model, tokenizer=tok)
    assert result.precision == "fp32"
    assert "precision: fp32 (auto: CPU with native bf16" in capsys.readouterr().out
    summary = write_summary(config, result)
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["precision"] == summary["precision"] == "fp32"


def test_a_large_step_on_a_bf16_cpu_trains_in_bf16(tmp_path, native_bf16, monkeypatch, capsys):
    """The same tiny run made "large" (thresholds 1 token): its backbone computes in bf16, the
    losses stay finite (scores are cast to fp32 before the loss); an explicit "no" stays fp32."""
    native_bf16(True)
    monkeypatch.setattr(precision_module, "CPU_BF16_MIN_TOKENS", 1)
    monkeypatch.setattr(precision_module, "CPU_BF16_MIN_LENGTH", 1)
    monkeypatch.setattr(precision_module, "CPU_BF16_MIN_WIDTH", 1)
    config = TrainConfig(output_dir=str(tmp_path / "run"), batch_size=8, max_length=32, learning_rate=3e-3,
                         warmup_ratio=0.0, max_steps=3, log_every=1, save_model=False)
    dtypes = {}
    for requested in ("auto", "no"):
        model, tok = tiny_reward_model("gpt2", seed=0)
        layer = model.transformer.h[0].attn.c_attn  # a backbone matmul (packing re-runs the head in fp32)
        seen = dtypes.setdefault(requested, set())
        layer.register_forward_hook(lambda module, args, out, seen=seen: seen.add(out.dtype))
        result = train(TrainConfig(**{**config.__dict__, "mixed_precision": requested}), word_pairs(32),
                       model=model, tokenizer=tok)
        assert result.precision == ("bf16" if requested == "auto" else "fp32")
        assert all(torch.isfinite(torch.tensor(h["loss"])) for h in result.history)
    assert dtypes == {"auto": {torch.bfloat16}, "no": {torch.float32}}
    printed = capsys.readouterr().out
    assert "precision: bf16 (auto: CPU with native bf16, " in printed and printed.count("precision:") == 1
