"""Agreement between annotators: Cohen's and Fleiss' kappa, Krippendorff's alpha,
Kendall's W, and a filter that keeps the items annotators agree on.

Established implementations where they exist: Cohen's kappa from scikit-learn,
Fleiss' kappa from statsmodels, Krippendorff's alpha from ``krippendorff``.
Kendall's W (with the tie correction) is a few lines of numpy.

Data come as a *long* table, one row per (unit, annotator): columns ``unit``,
``annotator``, ``label``. :func:`agreement_units` builds it from annotation
judgements (``AnnotationStore.judgements(kind)``):

* pairwise: one unit per task, label ``"0"`` / ``"1"`` (the winning response's
  original index) or ``"tie"``;
* ranking: rank breaking -- one unit per pair of responses ``(i, j)``, ``i < j``,
  label ``"i"``, ``"j"`` or ``"tie"``; a pair that neither ranked in a top-k
  ranking says nothing and is left out. So kappa means the same thing for
  pairs and rankings and the usual threshold (kappa > 0.6, "substantial",
  Landis & Koch 1977) applies to both.
"""
from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd


def agreement_units(judgements, kind: str) -> pd.DataFrame:
    """Long table ``task_id, unit, annotator, label`` from judgement dicts (skips dropped)."""
    if hasattr(judgements, "judgements"):
        judgements = judgements.judgements(kind)
    rows = []
    for j in judgements:
        label = j["label"]
        if label.get("skip") or j["kind"] != kind:
            continue
        if kind == "pairwise":
            value = "tie" if label["tie"] else str(label["winner"])
            rows.append((j["task_id"], j["task_id"], j["annotator"], value))
        elif kind == "ranking":
            unranked = set(label["unranked"])
            labels = label["labels"]
            for a, b in itertools.combinations(range(len(labels)), 2):
                if a in unranked and b in unranked:
                    continue
                value = "tie" if labels[a] == labels[b] else str(a if labels[a] > labels[b] else b)
                rows.append((j["task_id"], f"{j['task_id']}:{a}-{b}", j["annotator"], value))
        else:
            raise ValueError(f"agreement_units supports 'pairwise' and 'ranking', got {kind!r}")
    return pd.DataFrame(rows, columns=["task_id", "unit", "annotator", "label"])


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    """units x annotators table of labels (NaN = not labelled)."""
    for column in ("unit", "annotator", "label"):
        if column not in long.columns:
            raise ValueError(f"the table needs a {column!r} column (has {list(long.columns)})")
    duplicated = long.duplicated(["unit", "annotator"])
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise ValueError(f"row {row}: annotator {long['annotator'].iloc[row]!r} labelled unit "
                         f"{long['unit'].iloc[row]!r} twice")
    return long.pivot(index="unit", columns="annotator", values="label")


def cohens_kappa(labels_a, labels_b, *, weights: str | None = None) -> float:
    r"""Cohen's kappa :math:`\kappa = (p_o - p_e) / (1 - p_e)` for two annotators
    (Cohen 1960); ``weights="linear"|"quadratic"`` for ordinal labels."""
    from sklearn.metrics import cohen_kappa_score

    a, b = list(labels_a), list(labels_b)
    if len(a) != len(b) or not a:
        raise ValueError(f"need two equally long, non-empty label lists (got {len(a)} and {len(b)})")
    for name, values in (("labels_a", a), ("labels_b", b)):
        missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and np.isnan(v))]
        if missing:
            raise ValueError(f"{name}[{missing[0]}] is missing; drop units one annotator skipped")
    if len(set(a) | set(b)) == 1:
        return 1.0  # perfect agreement on one category: sklearn would return NaN (0/0)
    return float(cohen_kappa_score(a, b, weights=weights))


def pairwise_cohens_kappa(long: pd.DataFrame, *, min_shared: int = 2) -> pd.DataFrame:
    """Cohen's kappa for every pair of annotators on the units both labelled."""
    wide = _wide(long)
    rows = []
    for a, b in itertools.combinations(wide.columns, 2):
        both = wide[[a, b]].dropna()
        if len(both) >= min_shared:
            rows.append({"annotator_a": a, "annotator_b": b, "n_units": len(both),
                         "kappa": cohens_kappa(both[a], both[b])})
    return pd.DataFrame(rows, columns=["annotator_a", "annotator_b", "n_units", "kappa"])


def _counts(long: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """units x categories count matrix of the units every annotator labelled."""
    wide = _wide(long).dropna()
    if wide.empty:
        raise ValueError("no unit was labelled by every annotator")
    categories = sorted(set(wide.to_numpy().ravel()), key=str)
    index = {c: i for i, c in enumerate(categories)}
    counts = np.zeros((len(wide), len(categories)))
    for r, row in enumerate(wide.to_numpy()):
        for value in row:
            counts[r, index[value]] += 1
    return counts, wide.index


def fleiss_kappa(long: pd.DataFrame) -> float:
    r"""Fleiss' kappa (Fleiss 1971) over the units every annotator labelled:
    :math:`\kappa = (\bar P - P_e)/(1 - P_e)`, via statsmodels."""
    from statsmodels.stats.inter_rater import fleiss_kappa as _fleiss

    counts, _ = _counts(long)
    if counts.shape[1] == 1:
        return 1.0
    return float(_fleiss(counts, method="fleiss"))


def per_unit_kappa(long: pd.DataFrame) -> pd.Series:
    r"""Chance-corrected agreement on each unit, :math:`\kappa_i = (P_i - P_e)/(1 - P_e)`,
    with Fleiss' :math:`P_i` (share of agreeing annotator pairs on unit i) and
    :math:`P_e` (chance agreement over all units). Their mean is Fleiss' kappa."""
    counts, index = _counts(long)
    raters = counts.sum(axis=1)
    if (raters < 2).any():
        raise ValueError("per-unit agreement needs at least two annotators per unit")
    p_i = ((counts * (counts - 1)).sum(axis=1)) / (raters * (raters - 1))
    p_j = counts.sum(axis=0) / counts.sum()
    p_e = float((p_j ** 2).sum())
    kappa = (p_i - p_e) / (1 - p_e) if p_e < 1 else np.ones_like(p_i)
    return pd.Series(kappa, index=index, name="kappa")


def krippendorff_alpha(long: pd.DataFrame, *, level: str = "nominal") -> float:
    r"""Krippendorff's alpha :math:`1 - D_o/D_e` (Krippendorff 2004) via ``krippendorff``;
    handles missing labels. ``level``: nominal, ordinal, interval or ratio."""
    import krippendorff

    wide = _wide(long)
    values = wide.to_numpy().T  # annotators x units
    if level == "nominal":
        codes = {c: i for i, c in enumerate(sorted({v for v in values.ravel() if pd.notna(v)}, key=str))}
        values = np.array([[codes[v] if pd.notna(v) else np.nan for v in row] for row in values], dtype=float)
        if len(codes) == 1:
            return 1.0
    alpha = float(krippendorff.alpha(reliability_data=values.astype(float), level_of_measurement=level))
    if not np.isfinite(alpha):
        raise ValueError("Krippendorff's alpha is undefined here (every label identical, or no "
                         "unit labelled by two annotators)")
    return alpha


def kendalls_w(scores) -> float:
    r"""Kendall's coefficient of concordance for m annotators ranking n items (Kendall &
    Babington Smith 1939), with the tie correction.

    scores: ``(m, n)``, higher = better (graded labels work; ties allowed).
    :math:`W = \frac{12 S}{m^2 (n^3 - n) - m T}`, :math:`S = \sum_j (R_j - \bar R)^2`,
    :math:`T = \sum_{\text{annotators}} \sum_{\text{tie groups}} (t^3 - t)`.
    1 = identical rankings, 0 = no agreement beyond chance.
    """
    from scipy.stats import rankdata

    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[0] < 2 or scores.shape[1] < 2:
        raise ValueError(f"scores must be (annotators >= 2, items >= 2), got shape {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite (no missing labels)")
    m, n = scores.shape
    ranks = np.vstack([rankdata(row) for row in scores])
    totals = ranks.sum(axis=0)
    s = float(((totals - totals.mean()) ** 2).sum())
    ties = sum(sum(t ** 3 - t for t in Counter(row).values()) for row in scores)
    denominator = m ** 2 * (n ** 3 - n) - m * ties
    return 1.0 if denominator == 0 else 12.0 * s / denominator


def kendalls_w_per_task(judgements) -> pd.Series:
    """Kendall's W of each ranking task labelled by two or more annotators."""
    if hasattr(judgements, "judgements"):
        judgements = judgements.judgements("ranking")
    by_task: dict[str, list[list[float]]] = {}
    for j in judgements:
        if j["kind"] == "ranking" and not j["label"].get("skip"):
            by_task.setdefault(j["task_id"], []).append(j["label"]["labels"])
    return pd.Series({t: kendalls_w(rows) for t, rows in by_task.items() if len(rows) >= 2},
                     name="kendalls_w", dtype=float)


def agreement_report(judgements, kind: str) -> dict:
    """Every agreement statistic that applies to this kind, as a flat dict."""
    long = agreement_units(judgements, kind)
    if long["annotator"].nunique() < 2:
        raise ValueError("agreement needs judgements from at least two annotators")
    pairs = pairwise_cohens_kappa(long)
    report = {"n_annotators": int(long["annotator"].nunique()), "n_tasks": int(long["task_id"].nunique()),
              "fleiss_kappa": fleiss_kappa(long), "krippendorff_alpha": krippendorff_alpha(long),
              "mean_cohens_kappa": float(pairs["kappa"].mean()), "cohens_kappa": pairs}
    if kind == "ranking":
        report["mean_kendalls_w"] = float(kendalls_w_per_task(judgements).mean())
    return report


def filter_by_agreement(judgements, kind: str, *, threshold: float = 0.6,
                        statistic: str = "kappa") -> list[str]:
    """Task ids whose annotators agree above ``threshold``.

    ``statistic="kappa"``: the mean per-unit kappa of the task's units (for a
    pairwise task its one unit; for a ranking its response pairs), see
    :func:`per_unit_kappa`. ``"kendalls_w"`` (rankings): the task's Kendall's W.
    """
    if statistic == "kendalls_w":
        if kind != "ranking":
            raise ValueError("kendalls_w applies to ranking tasks only")
        w = kendalls_w_per_task(judgements)
        return sorted(w.index[w > threshold])
    if statistic != "kappa":
        raise ValueError(f"statistic must be 'kappa' or 'kendalls_w', got {statistic!r}")
    long = agreement_units(judgements, kind)
    kappa = per_unit_kappa(long)
    task_of = long.drop_duplicates("unit").set_index("unit")["task_id"]
    by_task = kappa.groupby(task_of.reindex(kappa.index).to_numpy()).mean()
    return sorted(by_task.index[by_task > threshold])
