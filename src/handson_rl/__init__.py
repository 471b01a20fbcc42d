"""Hands-on RL with Ray RLlib: the course package.

Everything the notebooks share lives here, so that each piece has one tested
source. The folders are the course's architecture:

- ``handson_rl.arena``: the MultiAgentArena game, its renderers, views for other
  libraries (single-agent gymnasium, PettingZoo), broken and crashing variants,
  and playing episodes outside RLlib.
- ``handson_rl.training``: everything that trains with RLlib: the course's PPO
  config, the one training loop, reading results, callbacks and metrics, custom
  models, checkpoints, Tune, scaling, the local multi-node cluster, the command
  line, the Ray session helper.
- ``handson_rl.exercises``: one checker module per exercise.
- ``handson_rl.maintainers``: commands only maintainers run (build the notebooks,
  images and videos; re-make the pre-trained agents).
- ``handson_rl.budget`` (full vs smoke budget) and ``handson_rl.paths``
  (where the repository's folders are).

Importing ``handson_rl`` itself loads nothing heavy (no Ray).
"""
