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
# Time: about 15 minutes, of which well under a minute is training (on a laptop
# with nothing else running).

# %%
# How much this notebook does: the full course for you, a short run in CI.
# SEED is the course's seed: 0, unless you set COURSE_SEED before starting Jupyter.
from handson_rl.budget import pick, seed

ITERATIONS, EVAL_EPISODES, MORE_ITERATIONS = pick(full=(30, 20, 2), smoke=(1, 2, 1))
COMPARE_EPISODES = pick(full=200, smoke=5)
SEED = seed()

# %%
import ray

from handson_rl.training.config import arena_ppo_config
from handson_rl.training.loop import train
from handson_rl.training.quiet import quiet_ray

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
from handson_rl.exercises.concepts import ask

ask("ch6-evaluation-explore")

# %% [markdown]
# The agents act the way they were trained to: by **sampling** from their action
# probabilities. That is RLlib's default (`explore=True`), in evaluation too. The
# policy PPO learns is a probability distribution; the docstring of RLlib's
# `.evaluation()` says that policy-gradient methods can find an optimal policy
# that is stochastic, and that setting `explore=False` for evaluation "results in
# the evaluation workers not using this optimal policy!" We keep the default and
# look at greedy play afterwards, as a contrast.

# The settings and the evaluation round live in the course's package
# (`bench/seed_ranges.py` measures this chapter over many seeds with the same
# functions); their source:

# %%
import inspect

from handson_rl.training.measures import evaluate, with_evaluation
from handson_rl.verdicts import your_run

print(inspect.getsource(with_evaluation))
print(inspect.getsource(evaluate))
config = with_evaluation(arena_ppo_config(seed=SEED), episodes=EVAL_EPISODES)
algo = config.build_algo()
untrained = evaluate(algo)
print(f"untrained, over {EVAL_EPISODES} evaluation episodes:", untrained)
for agent, value in untrained.items():
    print("   ", your_run(f"ch06.untrained.{agent}", value, label=agent))

# %% [markdown]
# Untrained does not mean random. Compare chapter 2's random baseline (about
# -0.7 for agent1 and -9 for agent2) with the untrained agents: over the seeds,
# the untrained agent1 scored {{seeds:ch06.untrained.agent1}} and agent2
# {{seeds:ch06.untrained.agent2}}. Each seed starts from other weights, and a
# network with random initial weights is not a random mover: in every cell it
# has its own arbitrary preferences, the same ones each time it comes back, and
# they can keep steering agent1 over cells it has already visited (chapter 5
# shows how a policy that sees only positions draws a route), or happen to
# send it onto new ones. Where does your untrained agent1 fall? Now train:

# %%
history = train(algo, ITERATIONS, label="PPO")
trained = evaluate(algo)
last_iteration = {agent: round(history[-1][agent], 2) for agent in ("agent1", "agent2")}
print("trained, evaluation (sampled actions):", trained)
print("last training iteration:              ", last_iteration)
for agent in ("agent1", "agent2"):
    print(
        "   ", your_run(f"ch06.trained_eval.{agent}", trained[agent], label=f"evaluation, {agent}")
    )
    print(
        "   ",
        your_run(
            f"ch06.last_iter.{agent}", last_iteration[agent], label=f"last iteration, {agent}"
        ),
    )

# %% [markdown]
# Over the seeds, agent1's evaluation came out {{seeds:ch06.trained_eval.agent1}}
# and its last training iteration {{seeds:ch06.last_iter.agent1}}. In one run the
# two lines rarely agree. Why not? They are different episodes, and the training
# iteration's were played with older weights. And one episode's return swings a
# lot: the comparison further down prints a standard error (the ± figure) for
# agent1's mean over its `COMPARE_EPISODES` episodes,
# {{seeds:ch06.sampled_sem.agent1:.2f}}. A standard error $s$ over
# $n$ episodes means a spread of about $s\sqrt{n}$ from one episode to the next,
# and a mean over $m$ episodes is then good to about $s\sqrt{n}/\sqrt{m}$; that
# cell works it out for the `EVAL_EPISODES` episodes of an evaluation round. Two
# such means differing by a few points is no surprise. For a sharper number,
# evaluate more episodes.

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
    for m in saved_weights
    for name in saved_weights[m]
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
# actions, and two means over `EVAL_EPISODES` episodes, each with its own noise, are
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
print(
    type(p1).__name__,
    "| inference_only:",
    p1.inference_only,
    f"| {sum(p.numel() for p in p1.parameters()):,} parameters",
)
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
from handson_rl.training.measures import ways_to_act
from handson_rl.training.policies import ModulePolicy
from handson_rl.verdicts import compare

print(inspect.getsource(ways_to_act))
KEYS = {
    "sampled (default)": "sampled",
    "greedy": "greedy",
    "greedy agent1 only": "greedy_agent1_only",
}
stats = {}
for name, policies in ways_to_act(p1, p2).items():
    stats[name] = mean_returns(policies, episodes=COMPARE_EPISODES, seed=1000)
    print(
        f"{name:>18}: "
        + ", ".join(f"{a} {m['mean']:+6.2f} (± {m['sem']:.2f})" for a, m in stats[name].items())
    )
    for agent, m in stats[name].items():
        print(" " * 20 + your_run(f"ch06.{KEYS[name]}.{agent}", m["mean"], label=agent))
spread = stats["sampled (default)"]["agent1"]["sem"] * COMPARE_EPISODES**0.5
print(
    f"agent1, sampled: one episode's spread about ±{spread:.1f}, so a mean over {EVAL_EPISODES} "
    f"evaluation episodes is good to about ±{spread / EVAL_EPISODES**0.5:.1f}\n"
)
for other in ("greedy", "greedy agent1 only"):
    for agent in ("agent1", "agent2"):
        print(
            compare(
                stats["sampled (default)"][agent],
                stats[other][agent],
                names=("sampled", other),
                what=f"{agent}, {COMPARE_EPISODES} episodes",
            )
        )

# %% [markdown]
# All three lines play the same episodes (the same seeds), and each verdict
# line compares two of them against the noise of their means. Over the seeds,
# agent1 scored {{seeds:ch06.sampled.agent1}} when both agents sampled,
# {{seeds:ch06.greedy.agent1}} when both played greedily, and
# {{seeds:ch06.greedy_agent1_only.agent1}} when only agent1 did. Greedy play can
# go very wrong for agent1. Chapter 5 showed why: agent1 sees positions only, so
# its most likely moves trace a fixed route, and a fixed route can run into a
# loop over cells it has already visited, -0.5 a step; sampling takes it off the
# loop. Whether it does depends on the weights a run ended with, hence the wide
# ranges. A greedy agent1 is also perfectly predictable, and a greedy agent2
# either finds it again and again or never: over the seeds, agent2 scored
# {{seeds:ch06.greedy.agent2}} when both were greedy, against
# {{seeds:ch06.sampled.agent2}} when both sampled (turn that into catches as in
# chapter 3, catches $= (\text{return} + 10) / 1.1$). Sampling is the policy PPO
# trained; that is why RLlib evaluates with sampled actions unless told
# otherwise, and why `ModulePolicy` samples by default. Greedy evaluation
# (`explore=False`) is the right measure only for a policy that has become
# (nearly) deterministic. Which way did your verdict lines go, and does the
# "greedy agent1 only" line say whether agent1's own greed or agent2's is what
# cost it?

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
collisions = round((returns["agent2"] + 10) / 1.1)
print({agent: round(value, 1) for agent, value in returns.items()})
print("collisions in this episode:", collisions)
print(your_run("ch06.episode.agent1", returns["agent1"], label="agent1"))
print(your_run("ch06.episode.collisions", collisions, label="collisions", fmt=".0f"))
show_gif(frames_to_gif(frames, "outputs/06_restored_agents.gif", fps=10))

# %% [markdown]
# Over the seeds, this episode (same start, same sampling seeds, each seed's own
# trained modules) gave agent1 a return {{seeds:ch06.episode.agent1}}, and agent2
# caught it a number of times {{seeds:ch06.episode.collisions:.0f}}. The light blue cells are agent1's trail. Each of its
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
# The algorithm `restored` went on training. How does its next checkpoint do when
# played greedily, against sampling? Write a function that answers
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
    print(
        f"{way:>8}:",
        {
            agent: round(float(m["mean"] if isinstance(m, dict) else m), 2)
            for agent, m in means.items()
        },
    )

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
from handson_rl.progress_report import show_progress

show_progress(6)
