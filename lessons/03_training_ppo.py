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
# uses different settings from RLlib's defaults, and what they buy on a
# laptop.
#
# Time: about 25 minutes, of which well under a minute is training (on a laptop
# with nothing else running).

# %%
# How much this notebook trains: the full course for you, a short run in CI.
# SEED is the course's seed: 0, unless you set COURSE_SEED before starting Jupyter.
from handson_rl.budget import pick, seed

ITERATIONS = pick(full=30, smoke=2)
SEED = seed()

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
# ## How PPO decides what to reinforce
#
# Four ideas, each one line of math.
#
# **1. The advantage: better or worse than expected?** Next to the policy
# $\pi_\theta(a \mid s)$, PPO trains a **value network** $V(s)$ that predicts the
# return from state $s$ on. An action's **advantage** is how much better things
# went than that prediction:
#
# $$A_t = G_t - V(s_t)$$
#
# A positive advantage means "this action turned out better than usual here: do
# it more often"; a negative one "do it less". Subtracting $V$ removes what the
# state was worth anyway, so the agent is not praised for being lucky.
#
# **2. GAE: how far to trust the value network.** The full return $G_t$ is
# unbiased but noisy (it adds up 100 random steps). The one-step error
# $\delta_t = r_{t+1} + \gamma V(s_{t+1}) - V(s_t)$ is steady but only as good as
# $V$. *Generalised advantage estimation* blends them with a weight $\lambda$:
#
# $$\hat A_t = \delta_t + (\gamma\lambda)\,\delta_{t+1} + (\gamma\lambda)^2\,\delta_{t+2} + \dots$$
#
# $\lambda = 0$ is the one-step error alone, $\lambda = 1$ is the full return minus
# $V(s_t)$. The course uses the common $\lambda = 0.95$ (`lambda_`). At a
# truncated episode end this sum stops and the last value $V(s_T)$ stands in for
# the rest of the return: the bootstrapping chapter 2 mentioned.
#
# **3. The probability ratio.** PPO reuses each batch for several epochs, so while
# it learns, the policy drifts away from the one that played the batch. The ratio
# says how much more (or less) likely the new policy makes the action that was
# taken:
#
# $$r_t(\theta) = \frac{\pi_\theta(a_t \mid s_t)}{\pi_{\text{old}}(a_t \mid s_t)}$$
#
# **4. The clipped objective.** Plain policy gradient maximises $r_t \hat A_t$,
# which would push $r_t$ as far as the batch allows. PPO clips it:
#
# $$L^{\text{CLIP}}(\theta) = \mathbb{E}_t\left[\min\left(r_t \hat A_t,\;
#   \operatorname{clip}(r_t, 1-\epsilon, 1+\epsilon)\,\hat A_t\right)\right]$$
#
# with $\epsilon = 0.3$ in RLlib (`clip_param`). Once an action has become
# $1 + \epsilon$ times as likely (good action) or $1 - \epsilon$ times as likely
# (bad action), the objective stops rewarding further change, so the gradient
# for that sample is zero: no single batch can move the policy far. Before the
# picture, which shows it for one sample:

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch3-clip")

# %%
import matplotlib.pyplot as plt
import numpy as np

epsilon = 0.3
ratio = np.linspace(0.0, 2.0, 401)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=False)
for ax, advantage in zip(axes, (+1.0, -1.0)):
    unclipped = ratio * advantage
    clipped = np.clip(ratio, 1 - epsilon, 1 + epsilon) * advantage
    ax.plot(ratio, unclipped, ":", color="grey", label=r"$r\,\hat A$ (no clipping)")
    ax.plot(
        ratio, np.minimum(unclipped, clipped), color="#1f61b4", linewidth=2.5, label=r"$L^{CLIP}$"
    )
    ax.axvspan(1 - epsilon, 1 + epsilon, color="#1f61b4", alpha=0.08)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel(r"probability ratio $r = \pi_\theta / \pi_{old}$")
    ax.set_title(
        f"advantage {advantage:+.0f}: "
        + ("make it likelier, up to 1+ε" if advantage > 0 else "make it rarer, down to 1-ε"),
        fontsize=9,
    )
    ax.legend(fontsize=8)
axes[0].set_ylabel("objective for one sample")
plt.tight_layout()

# %% [markdown]
# Left: a good action ($\hat A > 0$). The objective rises with the ratio until
# $1 + \epsilon = 1.3$, then goes flat: no reward for making the action even
# likelier in this update. Right: a bad action ($\hat A < 0$). Making it rarer
# helps until $1 - \epsilon = 0.7$, then flat; making it *likelier* is still
# punished all the way (the min keeps the pessimistic line). RLlib's loss adds
# three terms to this:
#
# - the value network's squared error, weighted by `vf_loss_coeff` (default 1.0);
# - a **KL penalty**, on by default (`use_kl_loss=True`): the KL divergence
#   between the policy that played the batch and the current one, weighted by
#   `kl_coeff` (starting at 0.2). After each iteration RLlib adapts that weight
#   towards `kl_target` (0.01): it multiplies it by 1.5 when the iteration's KL
#   came out above twice the target, and by 0.5 when below half of it. It is a
#   second brake next to the clipping; `.training(use_kl_loss=False)` switches it
#   off, leaving the clipped objective alone, as in the PPO paper's main version;
# - an optional entropy bonus that keeps the policy from becoming certain too
#   early, weighted by `entropy_coeff` (default 0.0: off).
#
# The defaults, read from the installed RLlib:

# %%
from ray.rllib.algorithms.ppo import PPOConfig

defaults = PPOConfig()
print(
    {
        name: getattr(defaults, name)
        for name in (
            "clip_param",
            "vf_loss_coeff",
            "use_kl_loss",
            "kl_coeff",
            "kl_target",
            "entropy_coeff",
        )
    }
)

# %% [markdown]
# ## Start Ray
#
# RLlib runs on Ray. In a notebook we start a small local Ray instance ourselves,
# with as many CPUs as the laptop has (here we pin it to 2, like the machines the
# course is measured on). `ignore_reinit_error=True` lets you run the cell again:
# without it, a second `ray.init()` in the same notebook raises "Maybe you called
# ray.init twice by accident?"; with it, the Ray that is already running stays as
# it is.

# %%
import ray

from handson_rl.training.quiet import quiet_ray

quiet_ray()  # hide Ray's start-up banners; real errors still show
ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
print("Ray is running with", int(ray.cluster_resources()["CPU"]), "CPUs")

# %% [markdown]
# ## The config
#
# An RLlib algorithm is described by a **config object**, built with chained
# methods, one per topic: `.environment()`, `.env_runners()`, `.multi_agent()`,
# `.training()`, `.rl_module()`. Here is a complete PPO config for our game, the
# way you would type it yourself:

# %%
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.connectors.env_to_module import FlattenObservations

from handson_rl.arena import MultiAgentArena

plain_config = (
    PPOConfig()
    .environment(MultiAgentArena, env_config={"width": 10, "height": 10})
    .env_runners(
        num_env_runners=0,  # sample in this process
        num_envs_per_env_runner=16,
        env_to_module_connector=lambda env, spaces, device: FlattenObservations(multi_agent=True),
    )
    .multi_agent(
        # A list, not a set: a set's order changes from one Python process to the
        # next, and with it which module draws which seeded starting weights.
        policies=["p1", "p2"],
        policy_mapping_fn=lambda agent_id, episode, **kwargs: (
            "p1" if agent_id == "agent1" else "p2"
        ),
    )
    .training(train_batch_size=2000, minibatch_size=2000, num_epochs=10, lr=3e-3, lambda_=0.95)
    .rl_module(model_config={"fcnet_hiddens": [64, 64]})
)

# %% [markdown]
# It builds and trains like any other (one iteration here, just to see it run):

# %%
plain_algo = plain_config.build_algo()
plain_result = plain_algo.train()
print(
    "agent returns after one iteration:",
    {
        a: round(float(v), 1)
        for a, v in plain_result["env_runners"]["agent_episode_returns_mean"].items()
    },
)
plain_algo.stop()

# %% [markdown]
# The course keeps this config, plus a few speed-ups and safety nets, in one
# function, `arena_ppo_config()`, so every chapter trains the same way. Here is
# its source:
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
#   100 steps). We pass the class itself, not a name: it travels with the config
#   (pickled) to every env runner process, and each env runner registers it with
#   gymnasium under a fixed name of its own (`rllib-multi-agent-env-v0`) and
#   builds its boards from it. `tune.register_env("name", creator)` is only
#   needed when you want to refer to an env by a string (chapter 11 does).
# - `.env_runners(...)`: how experience is collected: how many env runner
#   processes, how many boards each one steps at once, and the **connector** that
#   one-hot encodes the observations (chapter 2: cell 37 of 100 becomes a vector
#   with a single 1), because a network needs a vector of numbers, not a cell index.
# - `.multi_agent(...)`: which modules (policies) exist, `p1` and `p2`, and the
#   **mapping function** that says which agent uses which (chapter 4 is all about it).
# - `.training(...)`: PPO's knobs: steps per iteration, minibatch size, epochs,
#   learning rate. Steps per iteration appear under two names. The plain config
#   above says `train_batch_size`, the course's `train_batch_size_per_learner`:
#   on RLlib's new API stack a batch is collected for each **learner** (the
#   process that computes the gradients), and `train_batch_size_per_learner` is
#   that batch. `train_batch_size` is the older, total figure: when it is the only
#   one given, RLlib splits it between the learners. With one learner, the
#   default (`num_learners=0`: it runs in this process), both mean the same 2,000
#   steps; with `num_learners=2` they do not (the cell below shows it). Chapter 10
#   comes back to this when it scales out.
# - `.rl_module(...)`: the network: two hidden layers here.
# - `.callbacks(...)`: code RLlib calls during training; here it records each
#   finished episode's per-agent return (chapter 8 is about callbacks).
# - `.fault_tolerance(...)`: if the env crashes inside an env runner, stop with
#   the env's error instead of restarting the runner and carrying on; while you
#   develop an env you want to see its bugs.
#
# The two batch-size names side by side (`total_train_batch_size` is what one
# iteration collects in all). Before you run it:

# %% tags=["concept"]
ask("ch3-batch-per-learner")

# %%
for learners in (0, 2):
    plain = PPOConfig().training(train_batch_size=2000).learners(num_learners=learners)
    course = arena_ppo_config().learners(num_learners=learners)
    print(
        f"num_learners={learners}: train_batch_size=2000 -> {plain.train_batch_size_per_learner} per learner, "
        f"{plain.total_train_batch_size} in all | train_batch_size_per_learner=2000 -> "
        f"{course.train_batch_size_per_learner} per learner, {course.total_train_batch_size} in all"
    )

# %% [markdown]
# ## The course's settings against RLlib's defaults
#
# RLlib's PPO defaults are sized for big problems and many CPUs. For this small
# game and a 2-core laptop the course changes a handful of settings. The table
# puts them side by side. What they buy is a measurement, not a promise:
# `bench/time_to_target.py` times the course's settings against other setups,
# RLlib's defaults among them (its `defaults` setup), on the machine it runs on.
# "How fast?" below prints the course's recorded run and the command that times
# every setup on yours.

# %%
import pandas as pd

from handson_rl.tools.explain import rllib_default
from handson_rl.training.config import COURSE_SETTINGS

pd.DataFrame(
    [
        {"setting": name, "RLlib default": str(rllib_default(name)), "course": str(value)}
        for name, value in COURSE_SETTINGS.items()
    ]
).set_index("setting")

# %% [markdown]
# The reasoning behind each change (the benchmark measures them together, not one
# by one):
#
# - **Sampling** (`num_env_runners`, `num_envs_per_env_runner`): on a laptop,
#   collecting experience is the slow part (chapter 10 measures it). Both columns
#   use two env runner processes, one per core; the course has each step 16
#   boards at once instead of one, so one batched forward pass of the network
#   picks 16 actions per agent instead of one.
# - **One-hot encoding** (`one_hot`): RLlib has no default encoder for
#   `MultiDiscrete` observations (building fails without one). RLlib's general
#   `FlattenObservations` connector works; the course's `OneHotObservations`
#   produces the same vectors with code written for this game's observations
#   only.
# - **`normalize_actions=False`**: our actions are discrete, so there is nothing to
#   rescale.
# - **Batch and minibatch** (`train_batch_size`, `minibatch_size`): 2,000 env steps
#   per iteration (still 20 full episodes) means more frequent updates; one big
#   minibatch gives well-averaged gradient steps.
# - **`num_epochs` and `lr`**: the small network learns well with a much larger
#   step size (0.003 instead of 0.00005) and fewer passes over each batch (10
#   instead of 30).
# - **`vf_clip_param`**: RLlib clips each squared value error at 10, tuned for
#   small returns; agent1's returns run to tens of points, and a step whose value
#   error is above $\sqrt{10} \approx 3.2$ would give the value network no
#   gradient at all. **`lambda_`** 0.95 is the usual GAE setting.
# - **Network** (`fcnet_hiddens`): 200 inputs and 4 actions need far less than two
#   layers of 256 units.
# - **`vf_share_layers`** stays at PPO's default, `False`: the policy and the value
#   network each get their own hidden layers. A gotcha: RLlib's
#   `DefaultModelConfig` dataclass has `vf_share_layers=True` as *its* default,
#   and PPO turns it off only when you leave the field alone. Pass
#   `model_config=DefaultModelConfig(fcnet_hiddens=[64, 64])` and you silently get
#   shared layers; a plain dict, as in the cell above, keeps PPO's `False`:

# %%
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

print("PPOConfig().model_config:", PPOConfig().model_config)
print(
    "with a dict:             ",
    PPOConfig().rl_module(model_config={"fcnet_hiddens": [64, 64]}).model_config,
)
print(
    "with DefaultModelConfig: ",
    {
        "vf_share_layers": PPOConfig()
        .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[64, 64]))
        .model_config["vf_share_layers"]
    },
)

# %% [markdown]
# ## Build the algorithm and train
#
# `config.build_algo()` creates the algorithm: its env runner(s) with the envs, the
# learner, and one network per module. Every call to `algo.train()` then runs one
# iteration and returns a (large) result dict. `handson_rl.training.loop.train` calls it
# in a loop and shows one progress line instead of the whole dict.
#
# `ITERATIONS` was set at the top of the notebook: 30 for the full course, enough
# to see agent1 learn.

# %%
from handson_rl.training.loop import train

config = arena_ppo_config(seed=SEED)
algo = config.build_algo()
history = train(algo, ITERATIONS, label="PPO")

# %% [markdown]
# **Running this cell again, or interrupting it.** The two env runners are Ray
# actors, and each holds one of Ray's two CPUs until `algo.stop()`. A second
# `build_algo()` while the first algorithm is alive asks for two more CPUs, and
# Ray would wait for them forever, without a word. The course's config checks
# first: when an algorithm built earlier in this notebook with `arena_ppo_config()`
# holds the CPUs, it stops that one and prints a line saying so; when something
# else holds them, `build_algo()` fails within seconds with a `NotEnoughCPUsError`
# that says what to do. With RLlib's own `PPOConfig`, it is up to you: call
# `algo.stop()` on an algorithm you are done with.
#
# Kernel > Interrupt during `train()` stops it mid-iteration; the progress line
# says "interrupted after N iterations". The algorithm keeps what it has learned:
# `train(algo, 5)` trains it further, `algo.stop()` ends it.

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


print(
    "combined return (agent1 + agent2):", round(float(runners.get("episode_return_mean", "nan")), 2)
)
print("per agent:  ", rounded(runners.get("agent_episode_returns_mean")))
print("per module: ", rounded(runners.get("module_episode_returns_mean")))
print("episodes finished this iteration:", runners.get("num_episodes"))
print("env steps so far:", int(runners["num_env_steps_sampled_lifetime"]))
print("seconds this iteration:", round(result["time_this_iter_s"], 2))

# %%
p1_stats = result["learners"]["p1"]
{
    key: round(float(p1_stats[key]), 4)
    for key in ("policy_loss", "vf_loss", "entropy", "mean_kl_loss", "curr_kl_coeff")
    if key in p1_stats
}

# %% [markdown]
# The entropy is how random the policy still is: it starts near
# $\ln 4 \approx 1.39$ (all four moves equally likely) and falls as the policy
# becomes sure of itself. `mean_kl_loss` is the KL penalty's divergence from
# above: how far this iteration's updates moved the policy away from the one that
# played the batch. `curr_kl_coeff` is the penalty's current weight, after
# RLlib's adaptation: compare it with the starting 0.2 (halved each iteration the
# KL stayed below 0.005, raised by half when it went above 0.02).
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
from handson_rl.tools.plotting import plot_returns

history.append(summarize(result))  # the extra iteration we ran above
plot_returns(history, title="PPO on MultiAgentArena: both agents learning")

# %% [markdown]
# What to look for: agent1's curve climbs well above its random-play level
# (about -0.7) as it learns to sweep the board instead of wandering over its own
# trail. agent1 is rewarded for *exploring* (new cells), not for running away:
# being caught costs it -1.0, but most of its return comes from covering ground.
#
# agent2's return is easier to read as catches. It earns +1.0 on a step with a
# collision and -0.1 on every other step, so over 100 steps
# return $= 1.1 \times \text{catches} - 10$, and catches $= (\text{return} + 10) / 1.1$:


# %%
def catches(agent2_return, steps=100):
    """Collisions per episode behind an agent2 return (+1.0 per catch, -0.1 otherwise)."""
    return (agent2_return + 0.1 * steps) / 1.1


from handson_rl.training.measures import first_and_last
from handson_rl.verdicts import your_run

parts = first_and_last(history, first=3, last=5)  # iterations in which episodes finished
for part, label in (("first", "first 3 iterations"), ("last", "last 5 iterations")):
    a1, a2 = parts[part]["agent1"], parts[part]["agent2"]
    print(f"{label}: agent1 {a1:+.1f}, agent2 {a2:+.1f} = {catches(a2):.1f} catches per episode")
    for agent in ("agent1", "agent2"):
        print("   ", your_run(f"ch03.{part}.{agent}", parts[part][agent], label=agent))
print(f"after {int(history[-1]['env_steps']):,} env steps")

# %% [markdown]
# Your lines will not match anyone else's exactly: with two env runner
# processes, runs are not repeatable step for step, even with the same seed. So
# the "your run" lines place your numbers against full-length runs with ten
# seeds (`bench/seed_ranges.py` repeats this chapter's training with
# `COURSE_SEED` 0 to 9). Over those seeds, agent1's mean over the first 3
# iterations was {{seeds:ch03.first.agent1}}, and over the last 5
# {{seeds:ch03.last.agent1}}. agent2's went from {{seeds:ch03.first.agent2}} to
# {{seeds:ch03.last.agent2}}. A range of ten seeds is not a fence. With another
# seed, your run is a new draw, as likely to rank anywhere among those ten runs
# and itself, so about one run in five or six lands just outside it by chance
# alone, and a chapter with several "your run" lines will often show one. With
# one of those ten (the default, 0, is one), your run is that seed run again,
# which is not a copy of its run in the bench (runs are not repeatable step for
# step), so it too can land outside. Either way the line then says which it is.
# Turn agent2's figures into catches with the formula above and decide from your
# own lines: did agent2 learn to chase? Its return can rise and still stay below
# zero, because it pays -0.1 on every step without a catch. The two learn against
# each other: each catch agent2 learns is -1.0 for agent1.

# %% [markdown]
# ## Your turn: predict, then change one setting
#
# You want each iteration to train on twice as much experience: 4,000 env steps
# instead of 2,000, with everything else as in `arena_ppo_config(seed=0)`. Before
# you run anything:
#
# 1. write `task_config`: the course's config with **one** setting changed;
# 2. predict `predicted_env_steps`: how many env steps one iteration will sample;
# 3. predict `predicted_gradient_steps`: about how many gradient steps (updates,
#    one per minibatch) each module's learner will make in one iteration. The
#    minibatch stays at 2,000, and PPO makes `num_epochs` passes over the batch.
#
# The check reads your config and your two numbers; nothing trains yet.

# %% tags=["solution"]
# Your turn: fill in the three lines, then run the check below.
# task_config = arena_ppo_config(seed=0, ...)  # the course's config, one setting changed
# predicted_env_steps = ...  # env steps one iteration samples
# predicted_gradient_steps = ...  # gradient steps per module and iteration, about
task_config = arena_ppo_config(seed=0, train_batch_size=4000)
predicted_env_steps = 4000
predicted_gradient_steps = 20  # 10 epochs x (4,000 / 2,000) minibatches

# %% tags=["check"]
from handson_rl.exercises.tasks.ch03_one_setting import check_one_setting

check_one_setting(task_config, predicted_env_steps, predicted_gradient_steps)

# %% [markdown]
# Now run one iteration with your config and compare with the course's (the
# `result` of the extra iteration above). The learner reports how many rows of a
# module's batch it trained on, over all epochs; divided by the minibatch size,
# that is the number of gradient steps.

# %% tags=["needs-solution"]
from handson_rl.training.results import env_steps_this_iteration, rows_trained

# Sampling in this process (num_env_runners=0) starts faster for one iteration and
# leaves the CPUs to `algo`; the batch and the minibatches are those of your config.
task_algo = task_config.copy().env_runners(num_env_runners=0).build_algo()
task_result = task_algo.train()
task_algo.stop()
for label, cfg, res in (
    ("course config", config, result),
    ("your config", task_config, task_result),
):
    steps = env_steps_this_iteration(res)
    grads = rows_trained(res, "p1") / cfg.minibatch_size
    print(f"{label:>13}: {steps:,} env steps sampled, {grads:g} gradient steps for p1")
print(
    f"{'you predicted':>13}: {predicted_env_steps:,} env steps, {predicted_gradient_steps} gradient steps"
)

# %% [markdown]
# The env steps come out exactly: RLlib sizes the env runners' pieces so that
# they add up to the batch. The gradient steps come out a little above epochs
# times minibatches (compare each printed count with `num_epochs` times the batch
# over `minibatch_size`): before learning, PPO's learner adds one masked row at the end of
# every episode piece in the batch (to bootstrap the value at a cut-off, as in
# chapter 2), so a module's batch holds a few more rows than env steps, and the
# minibatch loop goes on until every row has been used `num_epochs` times. So
# doubling the batch with the minibatch unchanged doubles the number of updates
# per iteration, each the same size: twice the data *and* twice the learner's
# work. Whether that learns faster per second is a measurement, not a guess.

# %% [markdown]
# ## How fast?
#
# `bench/time_to_target.py` measures how long the course's settings take to learn,
# next to other setups: the wall time from the first `train()` call (building the
# algorithm is not timed) until agent1's return, averaged over its last 100
# episodes, reaches 18 (the same window Stable-Baselines3 reports). It trains each
# setup (its data file lists them) once per seed, one after the other in one
# process, never two at once. A run
# that has not got there when its time cap is up stops and counts as not reached:
# for it, the file says only that it needs longer than the cap. Stable-Baselines3's
# PPO, at its defaults, trains agent1 alone against a random agent2, an easier
# game (agent2 never learns to chase). Times depend on the machine and on what else
# runs on it, so this page quotes none: the cell below prints the course's recorded
# run, with where and when it was measured, how often each setup reached the
# target, and how each compares with the course's settings, then how to time it
# on your own machine.

# %%
from handson_rl.tools.bench_results import show_time_to_target

show_time_to_target()  # reads bench/results/time_to_target.json

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
# - For a small game on a small machine, the course changes a handful of RLlib's
#   PPO defaults: more boards per env runner, bigger minibatches, fewer epochs, a
#   higher learning rate and a smaller network. Whether they learn faster than
#   the defaults is measured, not assumed: `bench/time_to_target.py` times both,
#   on your machine too.
#
# **Try next:** rerun training with `arena_ppo_config(lr=5e-5)` (RLlib's default
# learning rate) and compare the curves; try `num_envs_per_env_runner=8`. Chapter 4
# looks at the multi-agent part of the config.

# %%
from handson_rl.progress_report import show_progress

show_progress(3)
