r"""Position bias: does the response shown first win more often than it should?

Every judgement is broken into *comparisons* of two responses of one task
(a pairwise judgement is one comparison; a ranking of K gives up to K(K-1)/2,
"rank breaking"), each with the places the two were shown at. Ties and
pairs that a top-k ranking left unranked carry no direction and are left out.

Raw measure: the share of comparisons the earlier-shown response wins
(0.5 without bias), overall and per annotator, with a Wilson interval.

Debiased estimate: the raw share mixes position with quality whenever the
shuffled orders happen to put better responses first. We separate them with
a Bradley-Terry model that has a position term (as in Wang et al. 2023,
"Large Language Models are not Fair Evaluators", for the pairwise case):

.. math::
    P(\text{earlier-shown } e \text{ beats later-shown } l)
      = \sigma\big(s_e - s_l + \beta_a \,(p_l - p_e)\big)

with :math:`s` a quality per (task, response), :math:`p` the place shown
(0 = first) and :math:`\beta_a` annotator a's bias in log-odds *per place*
(for pairs, the first-shown bonus). Fitted by penalised maximum likelihood
(an L2 prior on :math:`s`, ``l2=0.25``, i.e. a N(0, 2^2) prior on quality in
logits, keeps it identifiable). With only a few judgements per response the
many quality parameters bias beta (the incidental-parameter problem, Neyman &
Scott 1948): a weaker prior inflates it, a stronger one shrinks it; at the
default, simulated judges with beta in [0, 0.8] from three annotators of 80
four-response tasks are recovered within about 0.2. :math:`\sigma(\beta_a)` is
the debiased first-shown win rate: how often an annotator picks the first of
two equally good responses. The fitted :math:`s` are debiased preferences.
For a Plackett-Luce annotator whose utilities carry
:math:`-\beta \cdot p`, every implied pair follows this model exactly, so
:math:`\beta` is recovered from rankings too.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import binomtest


def comparisons(judgements, kind: str | None = None) -> pd.DataFrame:
    """One row per directed comparison: ``task_id, annotator, earlier, later,
    place_gap, earlier_wins`` (original response indices; place_gap = p_l - p_e)."""
    if hasattr(judgements, "judgements"):
        judgements = judgements.judgements(kind)
    rows = []
    for j in judgements:
        label, shown = j["label"], j["shown_order"]
        if label.get("skip") or (kind is not None and j["kind"] != kind):
            continue
        place = {item: p for p, item in enumerate(shown)}
        if j["kind"] == "pairwise":
            if label["tie"]:
                continue
            winner = label["winner"]
            outcomes = {(winner, 1 - winner): True}
        elif j["kind"] == "ranking":
            labels, unranked = label["labels"], set(label["unranked"])
            outcomes = {(a, b): labels[a] > labels[b] for a, b in itertools.permutations(range(len(labels)), 2)
                        if labels[a] != labels[b] and not (a in unranked and b in unranked)}
        else:
            raise ValueError(f"position bias needs pairwise or ranking judgements, got {j['kind']!r}")
        for (a, b), a_wins in outcomes.items():
            if place[a] < place[b]:
                rows.append((j["task_id"], j["annotator"], a, b, place[b] - place[a], a_wins))
    return pd.DataFrame(rows, columns=["task_id", "annotator", "earlier", "later", "place_gap",
                                       "earlier_wins"])


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    return float(low), float(high)


def fit_position_model(table: pd.DataFrame, *, l2: float = 0.25) -> dict:
    """Fit the position-aware Bradley-Terry model above; returns ``bias`` (annotator ->
    beta, log-odds per place), ``bias_se`` (from the observed information) and
    ``quality`` (Series indexed by (task_id, response))."""
    if table.empty:
        raise ValueError("no untied comparisons to fit")
    annotators = sorted(table["annotator"].unique())
    a_index = table["annotator"].map({a: i for i, a in enumerate(annotators)}).to_numpy()
    keys = sorted(set(zip(table["task_id"], table["earlier"])) | set(zip(table["task_id"], table["later"])))
    k_index = {k: i for i, k in enumerate(keys)}
    e = np.array([k_index[k] for k in zip(table["task_id"], table["earlier"])])
    w = np.array([k_index[k] for k in zip(table["task_id"], table["later"])])
    gap = table["place_gap"].to_numpy(dtype=float)
    y = table["earlier_wins"].to_numpy(dtype=float)
    n_a = len(annotators)

    def nll(theta):
        beta, s = theta[:n_a], theta[n_a:]
        z = s[e] - s[w] + beta[a_index] * gap
        value = np.logaddexp(0.0, z).sum() - (y * z).sum() + 0.5 * l2 * (s ** 2).sum()
        residual = expit(z) - y
        grad = np.zeros_like(theta)
        np.add.at(grad, a_index, residual * gap)
        np.add.at(grad, n_a + e, residual)
        np.add.at(grad, n_a + w, -residual)
        grad[n_a:] += l2 * s
        return value, grad

    result = minimize(nll, np.zeros(n_a + len(keys)), jac=True, method="L-BFGS-B")
    theta = result.x
    bias = dict(zip(annotators, theta[:n_a].tolist()))
    return {"bias": bias, "bias_se": _bias_se(theta, n_a, a_index, e, w, gap, l2, annotators),
            "quality": pd.Series(theta[n_a:], index=pd.MultiIndex.from_tuples(keys, names=["task_id", "response"])),
            "converged": bool(result.success)}


def _bias_se(theta, n_a, a_index, e, w, gap, l2, annotators) -> dict:
    """Standard errors of beta from the inverse of the penalised observed information."""
    size = len(theta)
    if size > 4000:  # dense inverse too costly; report no SE rather than a wrong one
        return {a: None for a in annotators}
    from scipy import sparse

    z = theta[n_a:][e] - theta[n_a:][w] + theta[:n_a][a_index] * gap
    weight = expit(z) * (1 - expit(z))
    rows = np.arange(len(z))
    design = sparse.csr_matrix(
        (np.concatenate([gap, np.ones(len(z)), -np.ones(len(z))]),
         (np.concatenate([rows, rows, rows]), np.concatenate([a_index, n_a + e, n_a + w]))),
        shape=(len(z), size))  # duplicate entries are summed
    information = (design.T @ sparse.diags(weight) @ design).toarray()
    information[n_a:, n_a:] += l2 * np.eye(size - n_a)
    covariance = np.linalg.pinv(information)
    return {a: float(np.sqrt(max(covariance[i, i], 0.0))) for i, a in enumerate(annotators)}


def position_bias_report(judgements, kind: str | None = None, *, l2: float = 0.25) -> pd.DataFrame:
    """Rows ``overall`` and one per annotator: ``n`` comparisons, ``first_win_rate``
    (earlier-shown wins), its Wilson ``ci_low``/``ci_high``, ``p_value`` (binomial
    test against 0.5), ``bias_logit`` (beta), ``bias_se``, and
    ``debiased_first_win_rate`` = sigma(beta)."""
    table = comparisons(judgements, kind)
    fitted = fit_position_model(table, l2=l2)
    pooled = fit_position_model(table.assign(annotator="overall"), l2=l2)
    rows = []
    for name, group in [("overall", table), *table.groupby("annotator")]:
        wins, n = int(group["earlier_wins"].sum()), len(group)
        low, high = wilson_interval(wins, n)
        source = pooled if name == "overall" else fitted
        beta = source["bias"][name]
        rows.append({"annotator": name, "n": n, "first_win_rate": wins / n, "ci_low": low,
                     "ci_high": high, "p_value": float(binomtest(wins, n, 0.5).pvalue),
                     "bias_logit": beta, "bias_se": source["bias_se"][name],
                     "debiased_first_win_rate": float(expit(beta))})
    return pd.DataFrame(rows).set_index("annotator")


def first_shown_top_rate(judgements) -> dict:
    """Rankings: how often the first-shown response is (among) the best, vs chance 1/K."""
    if hasattr(judgements, "judgements"):
        judgements = judgements.judgements("ranking")
    hits, chance, n = 0, 0.0, 0
    for j in judgements:
        label = j["label"]
        if j["kind"] != "ranking" or label.get("skip"):
            continue
        top = label["groups"][0]
        hits += j["shown_order"][0] in top
        chance += len(top) / len(j["shown_order"])
        n += 1
    if n == 0:
        raise ValueError("no ranking judgements")
    return {"n": n, "first_is_top_rate": hits / n, "chance_rate": chance / n}
