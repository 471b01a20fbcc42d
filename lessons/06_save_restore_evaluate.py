# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 6. Save, restore, evaluate
#
# **Goal of this chapter:** measure how good an algorithm is with RLlib's
# evaluation settings, save a trained algorithm to disk, look at what a
# checkpoint contains, restore it into a fresh algorithm and into a bare network
# without any algorithm around it, and watch the restored agents play.
#
# Time: about 15 minutes, of which about a minute is training.

# %%
import ray

from handson_rl.budget import pick
from handson_rl.training.loop import train
from handson_rl.training.quiet import quiet_ray
from handson_rl.training.config import arena_ppo_config

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False)

# %% [markdown]
# ## Evaluation settings
#
# Training returns are measured while the agents *explore* (sample their actions)
# and while they are changing. To judge a policy you want a separate
# **evaluation**: play a fixed number of episodes with the current weights, greedy
# actions (`explore=False`), no learning. RLlib does this with the
# `.evaluation(...)` settings; `algo.evaluate()` runs one round.

# %%
from ray.rllib.algorithms.ppo import PPOConfig

EVAL_EPISODES = pick(full=20, smoke=2)

config = arena_ppo_config(seed=0).evaluation(
    # We call algo.evaluate() ourselves; an interval is still needed so that RLlib
    # sets up its evaluation env runner (1000: never automatically in this chapter).
    evaluation_interval=1000,
    evaluation_duration=EVAL_EPISODES,
    evaluation_duration_unit="episodes",
    evaluation_num_env_runners=0,  # evaluate in this process
    evaluation_config=PPOConfig.overrides(explore=False),
)
algo = config.build_algo()


def evaluate(algorithm):
    """Mean return per agent over one evaluation round."""
    result = algorithm.evaluate()["env_runners"]
    per_agent = result["agent_episode_returns_mean"]
    return {agent: round(float(per_agent[agent]), 2) for agent in ("agent1", "agent2")}


untrained = evaluate(algo)
print(f"untrained, over {EVAL_EPISODES} evaluation episodes:", untrained)

# %% [markdown]
# Untrained networks output nearly equal logits, so greedy play picks whichever
# action happens to score highest, often the same move again and again: agent1
# runs into a wall and stays there. Now train:

# %%
history = train(algo, pick(full=30, smoke=1), label="PPO")
trained = evaluate(algo)
print("trained, greedy evaluation:", trained)
print("last training iteration (sampled actions):",
      {agent: round(history[-1][agent], 2) for agent in ("agent1", "agent2")})

# %% [markdown]
# Compare the two lines. Evaluation plays *greedy*: each agent always takes its
# most likely action. That can look quite different from training, where actions
# are sampled. A greedy agent1 is predictable, and a greedy agent2 that has
# learned to chase can corner it and bump into it again and again; or a greedy
# agent1 can get stuck walking back and forth. In the run we made while writing
# this chapter, greedy agent2 scored far above its training return. Sampling is part of the policy PPO
# learns, so for "how good is it?" chapter 12 evaluates with sampled actions;
# greedy evaluation is what RLlib does by default with `explore=False`, and it is
# the right choice when the policy has become (nearly) deterministic.

# %% [markdown]
# ## Save a checkpoint
#
# `algo.save_to_path(path)` writes the whole algorithm to a directory: the config,
# every module's weights, the optimizer states, the connectors' states. It
# returns the path.

# %%
from pathlib import Path

checkpoint_dir = algo.save_to_path(str(Path("outputs/06_checkpoint").absolute()))
print("saved to", checkpoint_dir)

# %% [markdown]
# What is inside? A directory tree; each component of the algorithm saves itself
# into its own sub-directory, and `rllib_checkpoint.json` marks the top:

# %%
from handson_rl.training.checkpoints import describe

print(describe(checkpoint_dir))

# %% [markdown]
# - `algorithm_state.pkl` and `class_and_ctor_args.pkl`: the algorithm's own
#   state and how to rebuild it (including the config);
# - `env_runner/`: the env runner's state, including the connectors';
# - `learner_group/learner/rl_module/p1` and `.../p2`: each module's weights (and
#   its spec, so it can be rebuilt on its own); the learner also keeps its
#   optimizer state.

# %% [markdown]
# ## Restore into a fresh algorithm
#
# `Algorithm.from_checkpoint(path)` builds a new algorithm from the checkpoint
# alone: no config needed. The course's `load_algorithm` does that after checking
# that the path really is a checkpoint. Stop the old algorithm first, to be sure
# nothing is borrowed from it:

# %%
from handson_rl.training.checkpoints import load_algorithm

algo.stop()
restored = load_algorithm(checkpoint_dir)
restored_eval = evaluate(restored)
print("untrained:", untrained)
print("trained:  ", trained)
print("restored: ", restored_eval)

# %% [markdown]
# The restored algorithm plays like the trained one (evaluation episodes are
# random in the coin flips, so the numbers match closely rather than exactly),
# and it can go on training from where it stopped:

# %%
more = train(restored, pick(full=2, smoke=1), label="continued")
print("iterations so far:", more[-1]["iteration"])
restored.stop()

# %% [markdown]
# A wrong path gives a clear error rather than a long traceback from deep
# inside Ray:

# %%
from handson_rl.training.checkpoints import CheckpointError

for wrong in ("outputs/no_such_checkpoint", "outputs"):
    try:
        load_algorithm(wrong)
    except CheckpointError as err:
        print("CheckpointError:", err, "\n")

# %% [markdown]
# ## Restore a bare module
#
# To *use* a policy (in a game, a web service, a robot) you do not need the
# algorithm, its env runners or Ray: the module alone will do.
# `RLModule.from_checkpoint` on a module's sub-directory rebuilds just that
# network; `load_module(checkpoint, "p1")` finds the sub-directory for you.

# %%
from handson_rl.training.checkpoints import load_module

p1 = load_module(checkpoint_dir, "p1")
p2 = load_module(checkpoint_dir, "p2")
print(type(p1).__name__, sum(p.numel() for p in p1.parameters()), "parameters")

# %% [markdown]
# ## Watch them play, in Exercise 1's loop
#
# `ModulePolicy` wraps a module in the `act(observation)` interface from Exercise
# 1 (one-hot, forward pass, greedy action), so the restored networks drop straight
# into the same loop you wrote in chapter 2. `play_episode` is that loop.

# %%
from handson_rl.arena import MultiAgentArena
from handson_rl.training.policies import ModulePolicy
from handson_rl.arena.render import frames_to_gif, show_gif
from handson_rl.arena.rollout import play_episode

env = MultiAgentArena({"render_mode": "rgb_array"})
policies = {"agent1": ModulePolicy(p1), "agent2": ModulePolicy(p2)}
returns, frames = play_episode(env, policies, seed=0, render=True)
print({agent: round(value, 1) for agent, value in returns.items()})
show_gif(frames_to_gif(frames, "outputs/06_restored_agents.gif", fps=10))

# %%
ray.shutdown()

# %% [markdown]
# ## Recap
#
# - `.evaluation(...)` + `algo.evaluate()` measure a policy on separate, greedy
#   episodes.
# - `algo.save_to_path(dir)` saves everything; `Algorithm.from_checkpoint(dir)`
#   rebuilds it and training can continue.
# - Each module lives in `learner_group/learner/rl_module/<module_id>/`, and
#   `RLModule.from_checkpoint` restores it alone, without Ray.
# - A module plus a one-hot encoder is a policy you can use anywhere.
#
# **Try next:** evaluate with `explore=True` and compare; restore only `p1` and let
# it play against a `RandomPolicy` agent2 (from `handson_rl.arena.rollout`).
