"""The chapters' tools, built on :mod:`handson_rl.training` (which never imports them).

Tune (``tuning``), scaling measurements (``scaling``), a local multi-node cluster
(``cluster``), TensorBoard files (``tensorboard``), learning curves and metric
plots (``plotting``), the command line (``cli``: ``handson-rl-train``), RLlib's
defaults explained (``explain``), seeds side by side (``parallel``), playing
the game yourself (``play``) and the course's recorded benchmark figures
(``bench_results``: chapter 3's time to target, read from ``bench/results/``).
Import from the submodules, e.g. ``from handson_rl.tools.tuning import TuneProgress``.
"""
