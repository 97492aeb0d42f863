"""Tiny checkpoints for the doctor and the CLI: one healthy, and one per planted fault."""
import random

import pytest
from safetensors.torch import load_file, save_file

from workbench.data import write_jsonl
from workbench.models import save_reward_model
from workbench.models.tiny import tiny_config, tiny_reward_model, word_tokenizer

WORDS = "a good answer is clear and kind and right the question what how why you it".split()


def word_pieces(n=16, seed=0):
    """(prompt, response) strings of mixed lengths in the tiny tokenizer's vocabulary."""
    rng = random.Random(seed)
    return [(" ".join(rng.choices(WORDS, k=rng.randint(2, 8))) + " ", " ".join(rng.choices(WORDS, k=rng.randint(1, 20))))
            for _ in range(n)]


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    """{"healthy", "pad_eos_left", "two_labels", "no_head"}: folders of tiny GPT-2 reward models."""
    from transformers import AutoModelForSequenceClassification

    root = tmp_path_factory.mktemp("checkpoints")
    model, tokenizer = tiny_reward_model("gpt2", seed=0)
    save_reward_model(model, tokenizer, root / "healthy")

    # pad = EOS with left padding: what a tokenizer without a pad token gets from the usual fix
    padded = word_tokenizer(pad_equals_eos=True)
    padded.padding_side = "left"
    model.config.pad_token_id = padded.pad_token_id
    model.save_pretrained(root / "pad_eos_left")
    padded.save_pretrained(root / "pad_eos_left")

    plain = word_tokenizer()
    config = tiny_config("gpt2", vocab_size=len(plain), pad_token_id=plain.pad_token_id,
                         eos_token_id=plain.eos_token_id, bos_token_id=plain.bos_token_id)
    config.num_labels = 2
    AutoModelForSequenceClassification.from_config(config).save_pretrained(root / "two_labels")
    plain.save_pretrained(root / "two_labels")

    save_reward_model(*tiny_reward_model("gpt2", seed=1), root / "no_head")
    weights = load_file(root / "no_head" / "model.safetensors")
    del weights["score.weight"]
    save_file(weights, root / "no_head" / "model.safetensors", metadata={"format": "pt"})
    return {name: root / name for name in ("healthy", "pad_eos_left", "two_labels", "no_head")}


@pytest.fixture(scope="session")
def word_data(tmp_path_factory):
    """TRL pairs and RewardBench 2 rows in the tiny vocabulary."""
    root = tmp_path_factory.mktemp("word_data")
    rng = random.Random(1)
    pairs = [{"prompt": f"question {i} ", "chosen": f"{' '.join(rng.choices(WORDS, k=3))} good right",
              "rejected": f"bad wrong {' '.join(rng.choices(WORDS, k=rng.randint(1, 6)))}"} for i in range(24)]
    best_of_4 = [{"prompt": f"what {i} ", "chosen": ["a good answer"], "rejected": ["bad", "a wrong answer", "no"],
                  "num_correct": 1, "subset": "easy" if i % 2 else "hard", "id": f"q{i}"} for i in range(12)]
    write_jsonl(pairs, root / "pairs.jsonl")
    write_jsonl(best_of_4, root / "best_of_4.jsonl")
    return root
