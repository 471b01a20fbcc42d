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
# Time: about 15 minutes, of which 15 to 20 seconds are training.

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
ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
print("Ray is running with", int(ray.cluster_resources()["CPU"]), "CPUs")

# %% [markdown]
# ## Evaluation settings
#
# Training returns are measured while the policies are changing: each
# iteration's episodes were played partly with older weights. To judge a policy
# you want a separate **evaluation**: play a fixed number of episodes with the
# current weights and no learning. RLlib does this with the `.evaluation(...)`
# settings; `algo.evaluate()` runs one round. How will the agents act there?

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask, check

ask("ch6-evaluation-explore")

# %% [markdown]
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
# Untrained does not mean random. Compare chapter 2's random baseline (about
# -0.7 for agent1 and -9 for agent2): the untrained agent2 plays about as well as
# a random one, but the untrained agent1 (-10.55 in our run) scores about ten
# points lower, far more than the noise of 20 episodes. A network with random
# initial weights is not a random mover: in every cell it has its own arbitrary
# preferences, the same ones each time it comes back, and they can keep steering
# agent1 over cells it has already visited (chapter 5 shows how a policy that
# sees only positions draws a route). Now train:

# %%
history = train(algo, ITERATIONS, label="PPO")
trained = evaluate(algo)
print("trained, evaluation (sampled actions):", trained)
print("last training iteration:              ",
      {agent: round(history[-1][agent], 2) for agent in ("agent1", "agent2")})

# %% [markdown]
# In our full-length runs both lines put agent1 between about +20 and +30, but
# not at the same value. Why not? They are different episodes, and the training
# iteration's were played with older weights. And one episode's return swings a
# lot: the 200-episode comparison further down prints a standard error (the ±
# figure) for agent1's mean, about 0.55 (0.53 and 0.56 in two runs), which means
# a spread of about 8 points from one episode to the next ($0.55 \times
# \sqrt{200} \approx 8$). A mean over 20 episodes is good to about ±2 points
# ($8 / \sqrt{20} \approx 1.8$), so two such means differing by a few points is
# no surprise. For a sharper number, evaluate more episodes.

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
# still comes out different from the trained algorithm's (the "restored" and
# "trained" lines): each evaluation round plays new episodes and samples new
# actions, and two means over 20 episodes, each good to about ±2 points, are
# rarely equal. The weights check is the test of a restore; the returns only
# agree within their noise. The restored algorithm can also go on training from
# where it stopped:

# %%
more = train(restored, MORE_ITERATIONS, label="continued")
print("iterations so far:", more[-1]["iteration"])

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

# %% tags=["concept"]
ask("ch6-greedy")

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
# All three lines play the same 200 episodes. Greedy play costs agent1 most of
# its return: in our runs it scored between about +19 and +30 when both agents
# sampled, and only about +3 to +4 when both played greedily. Chapter 5 showed why: agent1
# sees positions only, so its most likely moves trace a fixed route that runs
# into a loop over cells it has already visited, -0.5 a step; sampling takes it
# off the loop. A greedy agent1 is also perfectly predictable, and agent2's
# greedy chase then catches it again and again. Turn agent2's returns into
# catches as in chapter 3, catches $= (\text{return} + 10) / 1.1$: in our runs
# both greedy gave two to four times as many catches per episode as both
# sampling. That is why RLlib evaluates with sampled actions unless told
# otherwise, and why `ModulePolicy` samples by default. Greedy evaluation
# (`explore=False`) is the right measure only for a policy that has become
# (nearly) deterministic.

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
# In our runs this episode ended with agent1 between +25 and +34, and agent2
# caught it 3 to 6 times. The light blue cells are agent1's trail. Each of its
# 100 steps went onto a new cell (+1.0), onto an old cell or into a wall (-0.5),
# or ended in a collision (-1.0), so the printed return and collision count tell
# how many new cells it reached. For example, +25.0 with 3 collisions is 51 new
# cells (+51), 46 steps on old cells or into walls (-23) and 3 collisions (-3);
# agent2 then caught it 3 times (+3) and paid -0.1 on the other 97 steps (-9.7),
# a total of -6.7. Both agents sample, so every seed plays a different episode;
# one episode says little, the 200-episode means above say more.

# %% [markdown]
# ## Task: evaluate a checkpoint both ways, from disk
#
# The algorithm `restored` went on training. Will its next checkpoint still lose
# most of agent1's return when played greedily? Write a function that answers
# that for **any** checkpoint: `evaluate_both_ways(checkpoint_dir, episodes,
# seed)` restores the modules `p1` (agent1) and `p2` (agent2) **from the
# checkpoint on disk** and returns `{"sampled": ..., "greedy": ...}`, each what
# `mean_returns(policies, episodes, seed=seed)` returns for that way of acting.
# Everything you need is in the cells above (`load_module`, `ModulePolicy`,
# `mean_returns`).
#
# The check calls your function on a checkpoint of its own, with changed
# modules, so only a function that restores from the path it is given gets its
# figures right; the greedy ones must be exact.

# %% tags=["needs-solution"]
def evaluate_both_ways(checkpoint_dir, episodes, seed):
    # BEGIN SOLUTION: Task: restore p1 and p2 with load_module(checkpoint_dir, ...), then return {"sampled": mean_returns(...), "greedy": mean_returns(...)} with ModulePolicy(module, seed=...) and ModulePolicy(module, explore=False)
    p1, p2 = load_module(checkpoint_dir, "p1"), load_module(checkpoint_dir, "p2")
    sampled = {"agent1": ModulePolicy(p1, seed=seed), "agent2": ModulePolicy(p2, seed=seed + 1)}
    greedy = {"agent1": ModulePolicy(p1, explore=False), "agent2": ModulePolicy(p2, explore=False)}
    return {
        "sampled": mean_returns(sampled, episodes, seed=seed),
        "greedy": mean_returns(greedy, episodes, seed=seed),
    }
    # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.tasks.ch06_both_ways import check_both_ways

check_both_ways(evaluate_both_ways, checkpoint_dir)

# %% [markdown]
# Now use it: save the algorithm that went on training to a new checkpoint and
# evaluate that one both ways.

# %% tags=["needs-solution"]
later_dir = restored.save_to_path(str(Path("outputs/06_checkpoint_later").absolute()))
for way, means in evaluate_both_ways(later_dir, COMPARE_EPISODES, 1000).items():
    print(f"{way:>8}:", {agent: round(float(m["mean"] if isinstance(m, dict) else m), 2)
                         for agent, m in means.items()})

# %%
restored.stop()  # here rather than in the cell above, so that cell can be run again
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

# %%
from handson_rl.progress import show_progress

show_progress(6)
