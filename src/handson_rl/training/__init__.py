"""Training MultiAgentArena agents with RLlib: the course's config (``config``), the
one training loop (``loop``), reading results (``results``), and the rest of what
the chapters from 3 on import. Import from the submodules, e.g.
``from handson_rl.training.config import arena_ppo_config``.
"""
