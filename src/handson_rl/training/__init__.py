"""Training MultiAgentArena agents with RLlib: the core that owns every contact with RLlib.

The course's config (``config``), the one training loop (``loop``), reading
results (``results``: the only module that knows RLlib's result keys), Ray
sessions and their output (``session``, ``quiet``, ``ray_internals``), policies and
modules (``policies``, ``models``, ``pretrained``, ``checkpoints``), CPUs
(``cpus``), the custom metrics callback (``metrics``), the flaky env's config
(``flaky``) and the measurements the chapters print (``measures``). The chapters'
tools built on it (Tune, scaling, clusters, plots, the command line) are
:mod:`handson_rl.tools`; nothing here imports them. Import from the submodules,
e.g. ``from handson_rl.training.config import arena_ppo_config``.
"""
