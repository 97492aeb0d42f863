"""The GPU tier: what only a CUDA device can show. Every test here is marked ``gpu``;
``tests/conftest.py`` skips the tier when ``torch.cuda.is_available()`` is False, so CI
(CPU only) collects these and skips them, and a GPU box runs them with ``pytest -m gpu``."""
import importlib.util
import math
from pathlib import Path

import pytest
import torch

from workbench.models.tiny import tiny_reward_model
from workbench.training import TrainConfig, make_accelerator, train

pytestmark = pytest.mark.gpu
ROOT = Path(__file__).resolve().parents[2]


def test_bf16_training_on_cuda_learns_the_synthetic_pairs(tmp_path):
    """mixed_precision="auto" picks bf16 on a GPU that has it; the run learns (accuracy rises)."""
    from workbench.data import load_records
    from workbench.demo import demo_files

    files = demo_files()
    config = TrainConfig(output_dir=str(tmp_path), batch_size=16, max_length=64, epochs=1.0,
                         learning_rate=1e-4, log_every=5, progress=False)
    if torch.cuda.is_bf16_supported():
        assert make_accelerator(config).mixed_precision == "bf16"
    result = train(config, load_records(files["pairs_train"]), eval_data=load_records(files["pairs_test"]),
                   evaluate_before=True)
    assert next(result.model.parameters()).device.type == "cuda"
    assert all(math.isfinite(row["loss"]) for row in result.history if "loss" in row)
    assert result.eval_metrics["accuracy"] > result.eval_before["accuracy"] + 0.1


def test_fused_adamw_on_cuda():
    """The loop's optimiser is the fused AdamW kernel on CUDA parameters (one kernel for all tensors)."""
    from workbench.training.loop import _optimiser

    model, _ = tiny_reward_model("llama")
    model = model.cuda()
    optimiser, _ = _optimiser(TrainConfig(), model, total_steps=10)
    assert optimiser.defaults.get("fused") is True
    loss = model(input_ids=torch.tensor([[5, 6, 7]], device="cuda")).logits.sum()
    loss.backward()
    optimiser.step()  # the fused kernel runs on the device
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_shared_prompt_packing_on_sdpa_equals_plain_on_cuda():
    """Packed scores (block mask on sdpa's CUDA kernels) equal the plain per-response scores."""
    from workbench.data import ListwiseCollator
    from workbench.training import score_lists
    from workbench.training.shared_prompt import SharedPromptCollator, score_packed

    model, _ = tiny_reward_model("llama", seed=1)
    model.set_attn_implementation("sdpa")
    model = model.cuda().eval()
    g = torch.Generator().manual_seed(0)
    items = []
    for k in (4, 2, 3):
        prompt = torch.randint(10, 120, (12,), generator=g).tolist()
        responses = [prompt + torch.randint(10, 120, (5 + i,), generator=g).tolist() for i in range(k)]
        items.append({"responses": responses, "labels": list(range(k)), "top_k": None})
    to_cuda = lambda batch: {k: v.cuda() if torch.is_tensor(v) else v for k, v in batch.items()}  # noqa: E731
    plain_batch, packed_batch = to_cuda(ListwiseCollator(1)(items)), to_cuda(SharedPromptCollator(1)(items))
    with torch.no_grad():
        plain, packed = score_lists(model, plain_batch), score_packed(model, packed_batch)
    mask = plain_batch["mask"]
    torch.testing.assert_close(packed[mask], plain[mask], atol=1e-4, rtol=1e-4)
    assert plain[mask].std() > 1e-3


def test_gpu_smoke_benchmark_runs_on_cuda():
    """benchmarks/gpu_smoke.py at its tiny size on the device: both trainers report a rate."""
    spec = importlib.util.spec_from_file_location("gpu_smoke", ROOT / "benchmarks" / "gpu_smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rates = module.main(["--size", "tiny", "--steps", "3", "--batch", "4", "--seq-len", "32"])
    assert set(rates) == {"workbench", "TRL RewardTrainer"} and all(r > 0 for r in rates.values())
