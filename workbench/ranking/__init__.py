"""Ranking: rewards learned from orderings, and the studies that show what an ordering carries.

Three modules, imported from directly (this package imports none of them, so
``import workbench.ranking.fitting`` stays as light as numpy and torch):

- :mod:`.fitting`: the ranking studies of notebook 01. Simulate Bradley-Terry
  judgements of pairs and Plackett-Luce rankings from known item rewards,
  fit one reward per item back with a loss of :mod:`workbench.losses`, and
  compare (accuracy, win matrices, where one scalar per item breaks).
- :mod:`.rankers`: rankers on feature vectors, ``features (B, K, H) -> scores
  (B, K)``, trained by :func:`workbench.training.train` with any listwise loss;
  the known-truth list simulator and the studies of notebook 08 (losses
  compared, ties, partial rankings, the list length K).
- :mod:`.grpo_groups`: a Plackett-Luce reward model trained on GRPO groups
  (each group of G responses is a ranked list), and the advantages its scores give.

"Listwise" elsewhere in the project names the record and loss kind
(``K`` responses per prompt, :mod:`workbench.losses.listwise`); this package
uses those losses and records, it does not redefine them. Turning several
rewards into one signal or advantages is :mod:`workbench.aggregation`'s job;
:mod:`.grpo_groups` calls its ``group_advantages`` (the arrow points from
ranking to aggregation, never back).
"""
