"""Preference records: typed, validated, tokenised and batched.

Records (TRL column conventions):

* :class:`PreferencePair` ``(chosen, rejected, prompt=None, margin=None, tie=False)``:
  text or chat-message lists; no ``prompt`` means an implicit prompt (the shared prefix).
* :class:`RankedList` ``(prompt, responses, labels, top_k=None)``: K responses with
  graded labels (higher = better, equal = tie); ``top_k`` for partial rankings.

Typical use::

    records = load_records("data/prefs.jsonl")          # or a Dataset, DataFrame, list of dicts
    encoded = encode_records(records, tokenizer, max_length=256)
    print(encoded.report)                                # how many were truncated
    batch = collator_for(encoded.kind, tokenizer.pad_token_id)(encoded.items[:16])

``load_records(source, kind="auto"|"pairwise"|"listwise")`` raises one
:class:`~workbench.errors.UserError` (a ValueError) listing every bad field as
``row i, field 'name': problem``, led by ``file:line`` for a JSONL file. Sequences longer than
``max_length`` lose prompt tokens from the left, never the record
(:class:`TruncationReport` counts them). Batch layouts are documented in
:mod:`workbench.data.collate`; :class:`LengthGroupedBatchSampler` cuts padding.
Synthetic sets with a known ground truth live in :mod:`workbench.data.synthetic`.
Every JSONL file is read by :func:`workbench.data.jsonl.read_jsonl` (errors name the
file and the 1-based line); every real data set (GSM8K, hh-rlhf, Prometheus) is loaded
by :mod:`workbench.data.sources`, from ``../shared/data`` when present, else from the
samples bundled in ``data/``.
"""
from workbench._lazy import lazy_exports

# Where each public name lives; imported on first use (PEP 562): reading a JSONL file or
# building the command line does not pay for torch (collate, encoding).
_HOME = {
    **dict.fromkeys(("LengthGroupedBatchSampler", "ListwiseCollator", "PairwiseCollator", "collator_for",
                     "pad_sequences"), "collate"),
    **dict.fromkeys(("EncodedRecords", "Tokenise", "TruncationReport", "encode_records", "render",
                     "split_implicit"), "encoding"),
    **dict.fromkeys(("iter_jsonl", "read_jsonl"), "jsonl"),
    **dict.fromkeys(("PreferencePair", "RankedList", "detect_kind", "load_records", "pairs_from_list", "rows_from",
                     "validate_listwise", "validate_pairwise", "write_jsonl"), "records"),
}


__getattr__, __dir__ = lazy_exports(__name__, _HOME)


__all__ = [
    "PreferencePair", "RankedList", "load_records", "rows_from", "detect_kind", "validate_pairwise",
    "validate_listwise", "pairs_from_list", "write_jsonl", "encode_records", "EncodedRecords",
    "TruncationReport", "Tokenise", "render", "split_implicit", "PairwiseCollator", "ListwiseCollator",
    "collator_for", "pad_sequences", "LengthGroupedBatchSampler", "read_jsonl", "iter_jsonl",
]
