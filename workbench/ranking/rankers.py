"""Listwise rankers on feature vectors, trained with the project's one training loop.

A ranking of K items holds K(K-1)/2 ordered pairs; a listwise loss uses them
all at once. Here each item is a feature vector (synthetic features with a
known true utility, or frozen text embeddings) and a scorer maps
``features (B, K, H) -> scores (B, K)``; :func:`train_ranker` fits it with
:func:`workbench.training.train` and any listwise loss of
:mod:`workbench.losses` (ListMLE = ``plackett_luce``, ``listnet``,
``ranknet``, ``lambdarank``).

:func:`simulate_ranked_lists` draws lists whose order comes from the
Plackett-Luce model on a known linear utility ``u = x . w`` (Plackett 1975,
Luce 1959): the first place is item i with probability
``exp(beta u_i) / sum_j exp(beta u_j)``, then the next from the rest, and so
on. Options give graded labels with ties (``levels``) and partial rankings
(``top_k``: only the best k places are known; the rest share the bottom label).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from workbench import losses
from workbench.models.loading import eval_mode


class FeatureLists(torch.utils.data.Dataset):
    """Lists of feature vectors: ``features (B, K, H)``, ``labels (B, K)``, ``mask (B, K)``, ``top_k (B,)``."""

    def __init__(self, features, labels, mask=None, top_k=None):
        self.features = torch.as_tensor(np.asarray(features), dtype=torch.float32)
        self.labels = torch.as_tensor(np.asarray(labels), dtype=torch.float32)
        if self.features.ndim != 3 or self.labels.shape != self.features.shape[:2]:
            raise ValueError(f"features must be (B, K, H) and labels (B, K); got {tuple(self.features.shape)} "
                             f"and {tuple(self.labels.shape)}")
        batch, k = self.labels.shape
        self.mask = torch.ones(batch, k, dtype=torch.bool) if mask is None else torch.as_tensor(np.asarray(mask)).bool()
        top_k = np.full(batch, k) if top_k is None else np.broadcast_to(np.asarray(top_k), (batch,))
        self.top_k = torch.as_tensor(np.array(top_k, dtype=np.int64))
        bad = torch.nonzero(~torch.isfinite(self.labels) & self.mask)
        if len(bad):
            row, col = bad[0].tolist()
            raise ValueError(f"labels: list {row}, item {col} is not finite")

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        return {"features": self.features[i], "labels": self.labels[i], "mask": self.mask[i], "top_k": self.top_k[i]}


def collate_feature_lists(items: list[dict]) -> dict:
    """Stack items into ``features (B, K, H)``, ``labels``/``mask (B, K)``, ``top_k (B,)``."""
    return {key: torch.stack([it[key] for it in items]) for key in ("features", "labels", "mask", "top_k")}


class ListScorer(nn.Module):
    """``scores = MLP(features)``: ``(..., H) -> (...)``; ``hidden=0`` is a linear scorer ``x . theta``."""

    def __init__(self, in_features: int, *, hidden: int = 0, dropout: float = 0.0):
        super().__init__()
        if hidden:
            self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.GELU(), nn.Dropout(dropout),
                                     nn.Linear(hidden, 1))
        else:
            self.net = nn.Linear(in_features, 1, bias=False)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features).squeeze(-1)

    @torch.no_grad()
    def score(self, features) -> np.ndarray:
        """Scores as numpy, same leading shape as ``features`` (the module's train/eval mode is kept)."""
        with eval_mode(self):
            return self(torch.as_tensor(np.asarray(features), dtype=torch.float32)).numpy()


def feature_listwise_objective(loss: str = "plackett_luce", **loss_kwargs):
    """``compute_loss(model, batch) -> (loss, metrics)`` for :class:`FeatureLists` batches.

    ``top_k`` from the batch reaches ``plackett_luce`` only (partial rankings).
    """
    if not losses.is_listwise(loss):
        raise ValueError(f"{loss!r} is not a listwise loss; choose one of {sorted(losses.LISTWISE)}")
    function = losses.get_loss(loss, **loss_kwargs)
    takes_top_k = losses.loss_info(loss).takes_top_k  # a per-list top_k column (partial rankings)

    def compute_loss(model, batch):
        scores = model(batch["features"])
        kwargs = {"top_k": batch["top_k"]} if takes_top_k and (batch["top_k"] < batch["mask"].sum(-1)).any() else {}
        value = function(scores, batch["labels"], mask=batch["mask"], **kwargs)
        return value, {"loss": value.detach().item()}

    return compute_loss


def train_ranker(lists: FeatureLists, *, loss: str = "plackett_luce", loss_kwargs: dict | None = None,
                 hidden: int = 0, epochs: float = 30, batch_size: int = 32, learning_rate: float = 0.05,
                 weight_decay: float = 0.0, seed: int = 0, progress: bool = False):
    """Fit a :class:`ListScorer` with :func:`workbench.training.train`; returns ``(model, TrainResult)``."""
    from workbench.training import TrainConfig, train

    torch.manual_seed(seed)
    model = ListScorer(lists.features.shape[-1], hidden=hidden)
    config = TrainConfig(loss=loss, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                         weight_decay=weight_decay, warmup_ratio=0.0, seed=seed, save_model=False,
                         group_by_length=False, progress=progress, mixed_precision="no",
                         log_every=10_000, output_dir=None)
    result = train(config, lists, model=model, tokenizer=None, collate_fn=collate_feature_lists,
                   compute_loss=feature_listwise_objective(loss, **(loss_kwargs or {})))
    return result.model, result


def ranking_metrics(scores, labels, mask=None) -> dict:
    """Kendall tau, NDCG, pair and top-1 accuracy (``workbench.training.metrics``) of numpy ``(B, K)`` inputs."""
    from workbench.training.metrics import listwise_metrics

    to = lambda x: torch.as_tensor(np.asarray(x), dtype=torch.float64)  # noqa: E731
    mask = None if mask is None else torch.as_tensor(np.asarray(mask)).bool()
    return listwise_metrics(to(scores), to(labels), mask)


def simulate_ranked_lists(n_lists: int, k: int, *, dim: int = 8, beta: float = 2.0, levels: int | None = None,
                          top_k: int | None = None, weights=None, seed: int = 0) -> dict:
    """Lists with a known truth: ``{"features" (B,K,H), "labels" (B,K), "top_k" (B,), "utility" (B,K), "weights" (H,)}``.

    Order: a Plackett-Luce draw on ``beta * utility`` (Gumbel-max: sorting
    ``beta u + Gumbel`` is an exact PL sample). Labels: ``K - place`` (higher is
    better); with ``levels`` the places are binned into that many grades
    (ties); with ``top_k`` places beyond k all get label 0 and ``top_k`` is set.
    """
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=dim) if weights is None else np.asarray(weights, dtype=float)
    weights = weights / np.linalg.norm(weights)
    features = rng.normal(size=(n_lists, k, len(weights)))
    utility = features @ weights
    noisy = beta * utility + rng.gumbel(size=utility.shape)
    place = np.argsort(np.argsort(-noisy, axis=1), axis=1)            # 0 = first chosen
    labels = (k - place).astype(float)
    if levels is not None:
        labels = np.ceil(labels * levels / k)                          # k places -> `levels` grades
    ranked = np.full(n_lists, k)
    if top_k is not None:
        labels = np.where(place < top_k, labels, 0.0)
        ranked = np.full(n_lists, top_k)
    return {"features": features, "labels": labels, "top_k": ranked, "utility": utility, "weights": weights}


def evaluate_against_truth(model: ListScorer, test: dict) -> dict:
    """Metrics of the model's scores against the TRUE utilities of held-out lists, and the weight cosine."""
    scores = model.score(test["features"])
    metrics = ranking_metrics(scores, test["utility"])
    linear = model.net if isinstance(model.net, nn.Linear) else None
    if linear is not None:
        theta = linear.weight.detach().numpy().reshape(-1)
        metrics["weight_cosine"] = float(theta @ test["weights"] / (np.linalg.norm(theta) + 1e-12))
    return metrics


LOSS_VARIANTS = {"ListMLE": ("plackett_luce", {}), "ListNet": ("listnet", {}),
                 "RankNet": ("ranknet", {}), "LambdaRank": ("lambdarank", {})}


def compare_losses(train: dict, test: dict, variants: dict | None = None, *, epochs: float = 30,
                   seed: int = 0, **train_kwargs) -> pd.DataFrame:
    """Train one linear ranker per variant on ``train``; one row per variant of truth metrics and seconds.

    variants: ``{label: (loss name, loss kwargs)}`` (default :data:`LOSS_VARIANTS`:
    ListMLE / ListNet / RankNet / LambdaRank). ``test`` carries the true
    ``utility``, so every variant is judged against the same, untied truth.
    """
    rows = []
    lists = FeatureLists(train["features"], train["labels"], top_k=train.get("top_k"))
    # One throw-away step so the first timed variant does not pay for imports and set-up.
    train_ranker(FeatureLists(train["features"][:2], train["labels"][:2]), epochs=1, batch_size=2)
    for label, (name, kwargs) in (variants or LOSS_VARIANTS).items():
        start = time.perf_counter()
        model, _ = train_ranker(lists, loss=name, loss_kwargs=kwargs, epochs=epochs, seed=seed, **train_kwargs)
        seconds = time.perf_counter() - start
        rows.append({"loss": label, **evaluate_against_truth(model, test), "seconds": seconds})
    return pd.DataFrame(rows).drop(columns=["n_lists"])


def shuffle_unranked(data: dict, *, seed: int = 0) -> dict:
    """A partial ranking misread as a full one: the unranked tail gets a random order.

    Returns a copy of ``data`` (from :func:`simulate_ranked_lists` with
    ``top_k``) whose tail labels are a random permutation below the ranked
    places and whose ``top_k`` is K: what happens when "not ranked" is stored
    as if it were an order.
    """
    rng = np.random.default_rng(seed)
    labels = data["labels"].copy()
    for row, k in enumerate(data["top_k"]):
        tail = np.flatnonzero(labels[row] == 0)
        labels[row, tail] = -(rng.permutation(len(tail)) + 1.0)
    return {**data, "labels": labels, "top_k": np.full(len(labels), labels.shape[1])}


def effect_of_k(ks=(2, 4, 8, 16), *, item_budget: int = 960, test: dict | None = None, dim: int = 8,
                beta: float = 1.0, epochs: float = 30, repeats: int = 1, seed: int = 0) -> pd.DataFrame:
    """Same number of ranked items, cut into lists of different length K; ListMLE on the full
    ranking vs on the winner only (``top_k=1``). One row per (K, variant): truth metrics
    averaged over ``repeats`` independent training sets."""
    if test is None:
        test = simulate_ranked_lists(200, 8, dim=dim, seed=seed + 999)
    rows = []
    for k in ks:
        for repeat in range(repeats):
            train = simulate_ranked_lists(item_budget // k, k, beta=beta, seed=seed + 100 * repeat + k,
                                          weights=test["weights"])
            for variant, top_k in (("full ranking", None), ("winner only", 1)):
                lists = FeatureLists(train["features"], train["labels"], top_k=top_k)
                model, _ = train_ranker(lists, loss="plackett_luce", epochs=epochs, seed=seed)
                rows.append({"K": k, "variant": variant, "pairs_per_list": k * (k - 1) // 2,
                             **evaluate_against_truth(model, test)})
    frame = pd.DataFrame(rows).drop(columns=["n_lists"])
    return frame.groupby(["K", "variant", "pairs_per_list"], as_index=False, sort=False).mean()


def partial_ranking_study(test: dict, *, n_lists: int = 200, k: int = 8, top_k: int = 2, beta: float = 2.0,
                          epochs: float = 30, repeats: int = 1, seed: int = 0) -> pd.DataFrame:
    """Only the best ``top_k`` of ``k`` places are known. ListMLE with ``top_k`` honoured, with the
    unranked tail read as one tie, and with the tail read as an (invented) order; truth metrics
    per variant, averaged over ``repeats`` training sets."""
    rows = []
    for repeat in range(repeats):
        partial = simulate_ranked_lists(n_lists, k, beta=beta, top_k=top_k, seed=seed + 100 * repeat,
                                        weights=test["weights"])
        variants = {f"top-{top_k} honoured (top_k={top_k})": partial,
                    "tail read as a tie": {**partial, "top_k": None},
                    "tail read as an order": shuffle_unranked(partial, seed=seed + repeat)}
        for label, data in variants.items():
            rows.append(compare_losses(data, test, {label: ("plackett_luce", {})}, epochs=epochs, seed=seed))
    return pd.concat(rows).groupby("loss", as_index=False, sort=False).mean()
