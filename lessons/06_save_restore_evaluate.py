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
# How much this notebook does: the full course for you, a short run in CI.
from handson_rl.budget import pick

ITERATIONS, EVAL_EPISODES, MORE_ITERATIONS = pick(full=(30, 20, 2), smoke=(1, 2, 1))
COMPARE_EPISODES = pick(full=200, smoke=5)

# %%
import ray

from handson_rl.training.loop import train
from handson_rl.training.quiet import quiet_ray
from handson_rl.training.config import arena_ppo_config

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False)
print("Ray is running with", int(ray.cluster_resources()["CPU"]), "CPUs")

# %% [markdown]
# ## Evaluation settings
#
# Training returns are measured while the policies are changing: each
# iteration's episodes were played partly with older weights. To judge a policy
# you want a separate **evaluation**: play a fixed number of episodes with the
# current weights and no learning. RLlib does this with the `.evaluation(...)`
# settings; `algo.evaluate()` runs one round.
#
# The agents act the way they were trained to: by **sampling** from their action
# probabilities. That is RLlib's default (`explore=True`), in evaluation too. The
# policy PPO learns is a probability distribution; the docstring of RLlib's
# `.evaluation()` says that policy-gradient methods can find an optimal policy
# that is stochastic, and that setting `explore=False` for evaluation "results in
# the evaluation workers not using this optimal policy!" We keep the default and
# look at greedy play afterwards, as a contrast.

# %%
config = arena_ppo_config(seed=0).evaluation(
    # We call algo.evaluate() ourselves; an interval is still needed so that RLlib
    # sets up its evaluation env runner (1000: never automatically in this chapter).
    evaluation_interval=1000,
    evaluation_duration=EVAL_EPISODES,
    evaluation_duration_unit="episodes",
    evaluation_num_env_runners=0,  # evaluate in this process
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
# Untrained networks output nearly equal logits, so the untrained agents play
# like random ones: compare chapter 2's random baseline (about -0.7 and -9). Now
# train:

# %%
history = train(algo, ITERATIONS, label="PPO")
trained = evaluate(algo)
print("trained, evaluation (sampled actions):", trained)
print("last training iteration:              ",
      {agent: round(history[-1][agent], 2) for agent in ("agent1", "agent2")})

# %% [markdown]
# In our full-length run the evaluation gave agent1 about +26.9 and agent2 about
# -2.2, against +20.0 and +0.3 in the last training iteration. Why not the same?
# They are different episodes, and one episode's return swings a lot: the
# 200-episode comparison further down has a standard error of about 1.7, which
# means a spread of about 25 points for agent1 from one episode to the next. A
# mean over 20 episodes is good to about ±5 points, so the two lines agree
# within their noise. For a sharper number, evaluate more episodes.

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
# - `env_runner/` and `eval_env_runner/`: the (evaluation) env runner's state,
#   including the connectors';
# - `learner_group/learner/rl_module/p1` and `.../p2`: each module's weights in
#   `module_state.pkl` (about 135 KiB: 34,373 float32 numbers) and its spec in
#   `class_and_ctor_args.pkl`, so it can be rebuilt on its own; the learner's
#   `state.pkl` (about 540 KiB) also holds the optimizer's state.

# %% [markdown]
# ## Restore into a fresh algorithm
#
# `Algorithm.from_checkpoint(path)` builds a new algorithm from the checkpoint
# alone: no config needed. The course's `load_algorithm` does that after checking
# that the path really is a checkpoint. Stop the old algorithm first, to be sure
# nothing is borrowed from it:

# %%
import numpy as np

from handson_rl.training.checkpoints import load_algorithm

saved_weights = algo.learner_group.get_weights()  # to compare with after the restore
algo.stop()
restored = load_algorithm(checkpoint_dir)
restored_weights = restored.learner_group.get_weights()
same = all(
    np.array_equal(saved_weights[m][name], restored_weights[m][name])
    for m in saved_weights for name in saved_weights[m]
)
print("restored weights identical to the saved ones:", same)
restored_eval = evaluate(restored)
print("untrained:", untrained)
print("trained:  ", trained)
print("restored: ", restored_eval)

# %% [markdown]
# The restored weights are exactly the saved ones (`True` above). Its evaluation
# still came out different from the trained algorithm's in our run (agent1 about
# +18.2 against +26.9): each evaluation round samples new actions, and with a
# spread of about 25 points per episode, two rounds of 20 episodes can differ by
# this much. The weights check is the test of a restore; the returns only agree
# within their noise. The restored algorithm can also go on training from where
# it stopped:

# %%
more = train(restored, MORE_ITERATIONS, label="continued")
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
print(type(p1).__name__, "| inference_only:", p1.inference_only,
      f"| {sum(p.numel() for p in p1.parameters()):,} parameters")
print("parts:", [name for name, _ in p1.named_children()])

# %% [markdown]
# 34,373 parameters, not chapter 5's 17,284: the checkpoint stores the
# **learner's** copy of each module (`learner_group/learner/rl_module/p1`), with
# the value network (critic encoder and `vf` head) that the env runners' copies
# leave out. Acting needs only the policy part; the value network comes along.

# %% [markdown]
# ## Sampled or greedy?
#
# With the bare modules we can play as many episodes as we like outside RLlib and
# compare the two ways of acting on the *same* episodes (same seeds): sampling
# from the probabilities (what PPO trained, and what RLlib evaluated above) and
# greedy, always the most likely action. `ModulePolicy` wraps a module in the
# `act(observation)` interface from Exercise 1; it samples unless you pass
# `explore=False`. `mean_returns` plays episodes with Exercise 1's loop.

# %%
from handson_rl.arena.rollout import mean_returns
from handson_rl.training.policies import ModulePolicy

ways = {
    "sampled (default)": {"agent1": ModulePolicy(p1, seed=1), "agent2": ModulePolicy(p2, seed=2)},
    "greedy": {"agent1": ModulePolicy(p1, explore=False), "agent2": ModulePolicy(p2, explore=False)},
    "greedy agent1 only": {"agent1": ModulePolicy(p1, explore=False), "agent2": ModulePolicy(p2, seed=2)},
}
for name, policies in ways.items():
    means = mean_returns(policies, episodes=COMPARE_EPISODES, seed=1000)
    print(f"{name:>18}: " + ", ".join(f"{a} {m['mean']:+6.2f} (± {m['sem']:.2f})" for a, m in means.items()))

# %% [markdown]
# In our run, on the same 200 episodes:
#
# | | agent1 | agent2 |
# |---|---|---|
# | both sample (the trained policy) | +18.7 | +2.1 |
# | both greedy | +4.1 | +14.1 |
# | agent1 greedy, agent2 samples | +13.6 | +4.8 |
#
# Greedy play costs agent1 most of its return. Chapter 5 showed why: agent1 sees
# positions only, so its most likely moves trace a fixed route that runs into a
# loop over cells it has already visited, -0.5 a step; sampling takes it off the
# loop. A greedy agent1 is also perfectly predictable, and agent2's greedy chase
# then catches it again and again (agent2 +14.1: about 22 catches per episode).
# That is why RLlib evaluates with sampled actions unless told otherwise, and why
# `ModulePolicy` samples by default. Greedy evaluation (`explore=False`) is the
# right measure only for a policy that has become (nearly) deterministic.

# %% [markdown]
# ## Watch them play, in Exercise 1's loop
#
# The restored networks drop straight into the loop you wrote in chapter 2
# (`play_episode` is that loop), acting the way they were trained, by sampling:

# %%
from handson_rl.arena import MultiAgentArena
from handson_rl.arena.render import frames_to_gif, show_gif
from handson_rl.arena.rollout import play_episode

env = MultiAgentArena({"render_mode": "rgb_array"})
policies = {"agent1": ModulePolicy(p1, seed=1), "agent2": ModulePolicy(p2, seed=2)}
returns, frames = play_episode(env, policies, seed=0, render=True)
print({agent: round(value, 1) for agent, value in returns.items()})
print("collisions in this episode:", round((returns["agent2"] + 10) / 1.1))
show_gif(frames_to_gif(frames, "outputs/06_restored_agents.gif", fps=10))

# %% [markdown]
# In our run this episode ended with agent1 at +34.0 and agent2 at -3.4. The
# light blue cells are agent1's trail: 58 steps onto a new cell (+58), 36 steps
# on old cells or into walls (-18) and 6 collisions (-6). agent2 caught it 6 times (+6) and
# paid -0.1 on the other 94 steps (-9.4). Both agents sample, so every seed plays
# a different episode; one episode says little, the 200-episode means above say
# more.

# %%
ray.shutdown()

# %% [markdown]
# ## Recap
#
# - `.evaluation(...)` + `algo.evaluate()` measure a policy on separate
#   episodes, with sampled actions unless you set `explore=False`; greedy play can
#   score far lower than the stochastic policy PPO trained.
# - `algo.save_to_path(dir)` saves everything; `Algorithm.from_checkpoint(dir)`
#   rebuilds it and training can continue.
# - Each module lives in `learner_group/learner/rl_module/<module_id>/` (the
#   learner's full copy, value network included), and `RLModule.from_checkpoint`
#   restores it alone, without Ray.
# - A module plus a one-hot encoder is a policy you can use anywhere.
#
# **Try next:** add `evaluation_config=PPOConfig.overrides(explore=False)` to the
# evaluation settings and compare with the greedy line above; restore only `p1`
# and let it play against a `RandomPolicy` agent2 (from `handson_rl.arena.rollout`).
