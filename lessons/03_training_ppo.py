# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 3. Training PPO
#
# **Goal of this chapter:** build a PPO algorithm for MultiAgentArena from a
# config, train it for a few dozen iterations, find the numbers that matter in
# the result dict, and plot how each agent learns. Along the way: why the course
# uses different settings from RLlib's defaults, and what each one buys on a
# laptop.
#
# Time: about 20 minutes, of which about a minute is training.

# %% [markdown]
# ## Why PPO?
#
# **Proximal Policy Optimization** is the workhorse of modern RL, and RLlib's
# default choice for a new problem:
#
# - it is a *policy-gradient* method: it directly adjusts the policy network so
#   that actions which led to better-than-expected returns become more likely;
# - its *clipped* objective keeps each update small ("proximal"), so one unlucky
#   batch cannot wreck a good policy: training is stable without much tuning;
# - it handles discrete actions (our four moves) and multi-agent setups out of
#   the box, and it parallelises well: sampling and learning are separate steps.
#
# Each PPO **iteration** (one call to `algo.train()`) does two things: the env
# runners play the current policies for a batch of steps, then the learner makes a
# few passes (epochs) over that batch in minibatches, updating the policy network
# and a value network that predicts returns.

# %% [markdown]
# ## Start Ray
#
# RLlib runs on Ray. In a notebook we start a small local Ray instance ourselves,
# with as many CPUs as the laptop has (here we pin it to 2, like the machines the
# course is measured on).

# %%
import ray

from handson_rl.training.quiet import quiet_ray

quiet_ray()  # hide Ray's start-up banners; real errors still show
ray.init(num_cpus=2, include_dashboard=False)

# %% [markdown]
# ## The config
#
# An RLlib algorithm is described by a **config object**, built with chained
# methods, one per topic: `.environment()`, `.env_runners()`, `.multi_agent()`,
# `.training()`, `.rl_module()`. The course keeps its PPO config in one function,
# `arena_ppo_config()`, so every chapter trains the same way. Here is its source:
#
# (Coming from the 2021 version of this course, or from RLlib code with
# `PPOTrainer` and config dicts? The [old API cheat sheet](../docs/old_api_cheatsheet.md)
# translates each old name into today's.)

# %%
import inspect

from handson_rl.training.config import arena_ppo_config

print(inspect.getsource(arena_ppo_config))

# %% [markdown]
# What each part does:
#
# - `.environment(...)`: which env to create, and the `env_config` dict passed to
#   its constructor (here: the board size and episode length, default 10 x 10 and
#   100 steps). The env is registered under a name so Ray can create it anywhere.
# - `.env_runners(...)`: how experience is collected: how many env runner
#   processes, how many boards each one steps at once, and the **connector** that
#   one-hot encodes the observations (chapter 2: cell 37 of 100 becomes a vector
#   with a single 1), because a network needs a vector of numbers, not a cell index.
# - `.multi_agent(...)`: which modules (policies) exist, `p1` and `p2`, and the
#   **mapping function** that says which agent uses which (chapter 4 is all about it).
# - `.training(...)`: PPO's knobs: steps per iteration, minibatch size, epochs,
#   learning rate.
# - `.rl_module(...)`: the network: two hidden layers here.
# - `.callbacks(...)`: code RLlib calls during training; here it records each
#   finished episode's per-agent return (chapter 8 is about callbacks).
# - `.fault_tolerance(...)`: if the env crashes inside an env runner, stop with
#   the env's error instead of restarting the runner and carrying on; while you
#   develop an env you want to see its bugs.

# %% [markdown]
# ## The course's settings against RLlib's defaults
#
# RLlib's PPO defaults are sized for big problems and many CPUs. On this small game
# and a 2-core laptop they learn slowly: about 30 s per iteration, and agent1 still
# far from a good score after 10 iterations. The course changes a handful of
# settings. The table puts them side by side; `bench/time_to_target.py` measures
# what they buy (see "How fast?" below).

# %%
import pandas as pd

from handson_rl.training.explain import rllib_default
from handson_rl.training.config import COURSE_SETTINGS

pd.DataFrame(
    [
        {"setting": name, "RLlib default": str(rllib_default(name)), "course": str(value)}
        for name, value in COURSE_SETTINGS.items()
    ]
).set_index("setting")

# %% [markdown]
# Why each change:
#
# - **Sampling** (`num_env_runners`, `num_envs_per_env_runner`): on a laptop,
#   collecting experience is the slow part. Two env runner processes keep both
#   cores busy, and each steps 16 boards at once, so one batched forward pass of
#   the network picks 16 actions per agent instead of one.
# - **One-hot encoding** (`one_hot`): RLlib has no default encoder for
#   `MultiDiscrete` observations (building fails without one). RLlib's general
#   `FlattenObservations` connector works; the course's `OneHotObservations`
#   produces the same vectors with less work per step.
# - **`normalize_actions=False`**: our actions are discrete, so there is nothing to
#   rescale.
# - **Batch and minibatch** (`train_batch_size`, `minibatch_size`): 2,000 env steps
#   per iteration (still 20 full episodes) means more frequent updates; one big
#   minibatch gives well-averaged gradient steps.
# - **`num_epochs` and `lr`**: a small network tolerates a much larger step size,
#   so fewer passes over each batch suffice.
# - **`vf_clip_param`**: RLlib clips each squared value error at 10, tuned for
#   small returns; agent1's returns run to tens of points, so clipping would stop
#   the value network from learning. **`lambda_`** 0.95 is the usual GAE setting.
# - **Network** (`fcnet_hiddens`): 200 inputs and 4 actions need far less than two
#   layers of 256 units.

# %% [markdown]
# ## Build the algorithm and train
#
# `config.build_algo()` creates the algorithm: its env runner(s) with the envs, the
# learner, and one network per module. Every call to `algo.train()` then runs one
# iteration and returns a (large) result dict. `handson_rl.training.loop.train` calls it
# in a loop and shows one progress line instead of the whole dict.
#
# The number of iterations comes from the course's budget switch: the full course
# trains long enough to see agent1 learn; CI runs only a couple of iterations.

# %%
from handson_rl.budget import pick
from handson_rl.training.loop import train

ITERATIONS = pick(full=30, smoke=2)

config = arena_ppo_config(seed=0)
algo = config.build_algo()
history = train(algo, ITERATIONS, label="PPO")

# %% [markdown]
# ## Reading the result dict
#
# Let us run one more iteration and keep its whole result this time. It is a
# nested dict; the top level groups the numbers by where they come from:

# %%
result = algo.train()
sorted(result.keys())

# %% [markdown]
# The parts you will use most:
#
# - `result["env_runners"]`: what happened in the environment. Episode returns live
#   here: `episode_return_mean` is the **combined** return (agent1 + agent2) per
#   episode, `agent_episode_returns_mean` splits it by agent and
#   `module_episode_returns_mean` by module. These means cover only the episodes
#   that *finished during this iteration*; an iteration in which no episode
#   finished has no return at all.
# - `result["env_runners"]["num_env_steps_sampled_lifetime"]`: env steps so far.
# - `result["learners"]`: one entry per module (`p1`, `p2`) with the learner's
#   statistics: losses, entropy, KL divergence, learning rate.
# - `result["time_this_iter_s"]`, `result["timers"]`: where the time went.

# %%
runners = result["env_runners"]


def rounded(values):  # RLlib reports numpy floats; round them for reading
    return {key: round(float(value), 2) for key, value in (values or {}).items()}


print("combined return (agent1 + agent2):", round(float(runners.get("episode_return_mean", "nan")), 2))
print("per agent:  ", rounded(runners.get("agent_episode_returns_mean")))
print("per module: ", rounded(runners.get("module_episode_returns_mean")))
print("episodes finished this iteration:", runners.get("num_episodes"))
print("env steps so far:", int(runners["num_env_steps_sampled_lifetime"]))
print("seconds this iteration:", round(result["time_this_iter_s"], 2))

# %%
p1_stats = result["learners"]["p1"]
{key: round(float(p1_stats[key]), 4) for key in ("policy_loss", "vf_loss", "entropy", "mean_kl_loss") if key in p1_stats}

# %% [markdown]
# The entropy is how random the policy still is: it starts near
# $\ln 4 \approx 1.39$ (all four moves equally likely) and falls as the policy
# becomes sure of itself.
#
# The course's helper `summarize(result)` pulls out the figures we plot:

# %%
from handson_rl.training.results import summarize

summarize(result)

# %% [markdown]
# ## Learning curves
#
# One point per iteration and agent. Because each iteration's mean covers only
# the few episodes that finished in it, the raw points jump around; the thick
# lines are a moving average over 5 iterations.

# %%
from handson_rl.training.plotting import plot_returns

history.append(summarize(result))  # the extra iteration we ran above
plot_returns(history, title="PPO on MultiAgentArena: both agents learning");

# %% [markdown]
# What to look for: agent1's curve climbs well above its random-play level
# (about -0.6) as it learns to sweep the board instead of wandering over its own
# trail. agent2's curve moves much less: catching an agent that is learning to run
# is harder than running, and each catch also costs agent1, so the two learn
# against each other.

# %%
last = [row for row in history if row["agent1"] == row["agent1"]][-5:]  # skip NaN rows
if last:
    print(
        "mean over the last iterations with finished episodes: "
        f"agent1 {sum(r['agent1'] for r in last) / len(last):+.1f}, "
        f"agent2 {sum(r['agent2'] for r in last) / len(last):+.1f} "
        f"after {int(history[-1]['env_steps']):,} env steps"
    )

# %% [markdown]
# ## How fast?
#
# `bench/time_to_target.py` trains three setups one after the other in one process
# and measures the wall time until agent1's return, averaged over its last 100
# episodes, reaches 18 (the same measure Stable-Baselines3 reports): the course
# settings, RLlib's default PPO settings, and Stable-Baselines3's PPO with its
# defaults training agent1 alone against a random agent2. On our 2-core machine
# (3 seeds each, medians): the course settings took **about 19 s**, SB3 about
# 49 s (with the easier job: its agent2 never learns to chase), and RLlib's
# defaults had not got there after 2 minutes (agent1 at about 8). The full output
# is in `bench/README.md`. Run it yourself with `python bench/time_to_target.py`
# (it takes several minutes).

# %% [markdown]
# ## Clean up
#
# An algorithm holds processes and memory; stop it when you are done, and shut Ray
# down at the end of the notebook.

# %%
algo.stop()
ray.shutdown()

# %% [markdown]
# ## Recap
#
# - An algorithm is built from a config: `arena_ppo_config()` wraps the course's
#   settings; `config.build_algo()` builds it; `algo.train()` runs one iteration.
# - Episode returns live in `result["env_runners"]`: combined
#   (`episode_return_mean`), per agent (`agent_episode_returns_mean`) and per module
#   (`module_episode_returns_mean`), over the episodes finished in that iteration.
# - Learner statistics live in `result["learners"][module_id]`.
# - On a small game and a small machine, fewer env runner processes with more
#   boards each, bigger minibatches, fewer epochs, a higher learning rate and a
#   smaller network learn far faster than the defaults.
#
# **Try next:** rerun training with `arena_ppo_config(lr=5e-5)` (RLlib's default
# learning rate) and compare the curves; try `num_envs_per_env_runner=8`. Chapter 4
# looks at the multi-agent part of the config.
