# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 9. Custom models
#
# **Goal of this chapter:** know exactly which network RLlib builds for each
# agent and how to size it; write the same network yourself as a PyTorch
# **RLModule** and check that it learns as well as RLlib's; then change one thing
# at a time (a shared encoder, the value loss's weight, the activation, the size)
# and see what each change does to agent1's learning. In **Exercise 4** you write
# a module of your own.
#
# Time: about 30 minutes, of which four to five are training.

# %%
import ray

from handson_rl.budget import pick
from handson_rl.budget import seed as course_seed
from handson_rl.training.quiet import quiet_ray

SEED = course_seed()  # the course's seed: 0 unless COURSE_SEED is set

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)

# %% [markdown]
# ## The default network
#
# Unless told otherwise, PPO gives each module two small MLPs: a **policy
# network** (observation to one logit per action) and a separate **value
# network** (observation to one number, the expected return). Their size comes
# from the model config. Let us build the course's algorithm (without extra
# sampling processes, we only want to look) and print agent1's module:

# %%
from handson_rl.training.config import arena_ppo_config
from handson_rl.training.models import count_parameters

LOOK = dict(num_env_runners=0, num_envs_per_env_runner=1)  # cheap to build

algo = arena_ppo_config(**LOOK).build_algo()
print(algo.get_module("p1"))
print(f"{count_parameters(algo.get_module('p1')):,} weights")
algo.stop()

# %% [markdown]
# This is the copy the env runners use to *act*, so it holds only the policy
# network: the `actor_encoder` and the head `pi`, from 200 inputs (the one-hot
# encoded observation: 100 cells for agent1's position, 100 for agent2's) through
# two hidden layers of 64 units to 4 logits. RLlib's own default size is
# `[256, 256]`; the course config uses `[64, 64]` (chapter 3 explains why).
#
# To resize it, pass a `DefaultModelConfig` to `.rl_module(...)`. One field
# needs care: `vf_share_layers`. The dataclass's own default is `True` (one
# encoder for both the policy and the value network), and PPO switches it off
# only when the field is left out of a plain dict. A `DefaultModelConfig` always
# carries the field, so without `vf_share_layers=False` the resized network
# would silently share its encoder, the change this chapter shows costing
# agent1 much of its return (Change 1, below). So we say it. Before you run it:

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch9-parameters")

# %%
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

bigger = arena_ppo_config(**LOOK).rl_module(
    model_config=DefaultModelConfig(
        fcnet_hiddens=[128, 128, 128],  # three hidden layers
        fcnet_activation="relu",  # instead of tanh
        vf_share_layers=False,  # keep PPO's separate value encoder (the dataclass says True)
    )
)
algo = bigger.build_algo()
print(algo.get_module("p1").encoder)
print(f"{count_parameters(algo.get_module('p1')):,} weights")
print(
    "vf_share_layers without the line above:",
    arena_ppo_config(**LOOK)
    .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[128, 128, 128]))
    .model_config["vf_share_layers"],
)
algo.stop()

# %% [markdown]
# The printout says `actor_encoder`: the policy's own encoder (a shared one would
# be called `encoder`). Other useful fields of `DefaultModelConfig`:
# `head_fcnet_hiddens` (extra layers in the heads) and `use_lstm=True` (a
# memory, for games where one observation is not enough).
#
# ### The whole default module, value network included
#
# The learner's copy is the one that trains, and it also has the value network.
# It is an ordinary RLModule class, `DefaultPPOTorchRLModule`, whose layers a
# "catalog" (`PPOCatalog`) builds from the model config. We can build one
# directly, with the course's model settings:

# %%
import dataclasses

import gymnasium as gym
import numpy as np
from ray.rllib.algorithms.ppo.ppo_catalog import PPOCatalog
from ray.rllib.algorithms.ppo.torch.default_ppo_torch_rl_module import DefaultPPOTorchRLModule
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from handson_rl.training.config import COURSE_SETTINGS

OBS_SPACE = gym.spaces.Box(0.0, 1.0, (200,), np.float32)  # what the one-hot encoding gives
ACTION_SPACE = gym.spaces.Discrete(4)

course_model = DefaultModelConfig(
    fcnet_hiddens=COURSE_SETTINGS["fcnet_hiddens"],  # [64, 64]
    vf_share_layers=COURSE_SETTINGS["vf_share_layers"],  # False
)
print(
    "activation:",
    course_model.fcnet_activation,
    "| initialiser:",
    course_model.fcnet_kernel_initializer,
)
rllib_module = RLModuleSpec(
    module_class=DefaultPPOTorchRLModule,
    catalog_class=PPOCatalog,
    observation_space=OBS_SPACE,
    action_space=ACTION_SPACE,
    model_config=dataclasses.asdict(course_model),
).build()
print(rllib_module)
print(f"{count_parameters(rllib_module):,} weights")

# %% [markdown]
# So, precisely, the network every earlier chapter trained is:
#
# - a policy encoder (`actor_encoder`): `Linear(200, 64)`, tanh, `Linear(64, 64)`, tanh;
# - a value encoder (`critic_encoder`) of the same shape **with its own weights**
#   (`vf_share_layers=False`);
# - a policy head `pi`: one `Linear(64, 4)`; a value head `vf`: one `Linear(64, 1)`;
# - tanh everywhere (`fcnet_activation`'s default) and PyTorch's default
#   initialisation (the initialiser is `None`).
#
# ## A network of your own: a custom RLModule
#
# When the knobs are not enough, write the network yourself. In RLlib's new API
# stack a network is an **RLModule**; for PyTorch, a subclass of `TorchRLModule`.
# PPO needs two things from it:
#
# - `_forward(batch)`: the action-distribution inputs for a batch of observations
#   (here: 4 logits), returned as `{Columns.ACTION_DIST_INPUTS: logits}`;
# - `compute_values(batch)`: one value per observation. Declaring the class a
#   `ValueFunctionAPI` tells RLlib the module has a value function.
#
# The course's module, in the package so that tests can check it, is the default
# network above written by hand, with three settings in its `model_config` so that
# we can change one thing at a time: `hidden_sizes` (default `[64, 64]`),
# `activation` (default `"tanh"`) and `shared_encoder` (default `False`):

# %%
import inspect

from handson_rl.training.models import ArenaPolicyValueModule, mlp

print(inspect.getsource(mlp))
print(inspect.getsource(ArenaPolicyValueModule))

# %% [markdown]
# - `setup()` runs once, when RLlib builds the module: it reads the spaces
#   (`self.observation_space` is already the one-hot `Box(200)`) and the module's
#   own settings, `self.model_config`, a plain dict.
# - `_forward` serves both acting modes (exploring while sampling and greedy
#   inference): only the policy network runs.
# - `_forward_train` also returns the value network's features as
#   `Columns.EMBEDDINGS`; the learner hands them back to `compute_values`, so no
#   encoder runs twice per batch. (Without a `_forward_train`, RLlib uses
#   `_forward`, and `compute_values` computes its features itself: also correct.)
# - With `shared_encoder=True` there is no `value_encoder`: the value head reads
#   the policy encoder's features.
#
# Same layers, same weight count as RLlib's:

# %%
ours = RLModuleSpec(
    module_class=ArenaPolicyValueModule,
    observation_space=OBS_SPACE,
    action_space=ACTION_SPACE,
    model_config={},  # the defaults
).build()
print(ours)
print(
    f"ours: {count_parameters(ours):,} weights, RLlib's default: {count_parameters(rllib_module):,}"
)

# %% [markdown]
# ## Check it on its own first
#
# A module is an ordinary PyTorch module: feed it a batch, look at the shapes.
# Doing this before training turns a confusing error deep inside RLlib into a
# two-line test. First a guess:

# %% tags=["concept"]
ask("ch9-untrained")

# %%
import torch
from ray.rllib.core.columns import Columns

# Three observations: agent1 on cell 0, 11, 22; agent2 on cell 99.
obs = torch.zeros(3, 200)
obs[[0, 1, 2], [0, 11, 22]] = 1.0
obs[:, 100 + 99] = 1.0
batch = {Columns.OBS: obs}

logits = ours.forward_inference(batch)[Columns.ACTION_DIST_INPUTS]
values = ours.compute_values(batch)
print("logits:", tuple(logits.shape), " values:", tuple(values.shape))
print("action probabilities:\n", torch.softmax(logits, dim=-1).detach().numpy().round(3))

# %% [markdown]
# 3 observations in, 3 x 4 logits and 3 values out; the untrained module's action
# probabilities are all near 0.25 (the logits start small), so agent1 starts by
# moving at random. The package's tests (`tests/test_models.py`) check the same and
# more, including that the layers match RLlib's default module.
#
# ## Plug it in, per agent
#
# A `MultiRLModuleSpec` says which module class (and settings) each module id
# gets; pass it with `.rl_module(rl_module_spec=...)`. The experiments below
# change only agent1's module (`p1`); agent2 (`p2`) always gets our module with its
# defaults, so that agent1 faces the same kind of opponent in every run.

# %%
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec

# Every run samples in its own process (no env runners), 16 boards at once. With
# remote env runners (as in most other chapters) the runners sample in parallel
# and their samples arrive in a varying order, so such runs are not repeatable
# step for step; here there are none, so a seed makes a run exactly repeatable.
# `policies` below is a list, not a set: the two modules are always built in the
# same order, so a seed gives them the same starting weights from the seeded
# generator in every process. The seeds still differ from each other, hence
# several seeds per set-up.
RUN = dict(num_env_runners=0, num_envs_per_env_runner=16)


def module_config(seed, p1_model_config=None, p1_overrides=None):
    """The course's PPO with our module for both agents; p1 gets p1_model_config."""
    spec = MultiRLModuleSpec(
        rl_module_specs={
            "p1": RLModuleSpec(
                module_class=ArenaPolicyValueModule, model_config=p1_model_config or {}
            ),
            "p2": RLModuleSpec(module_class=ArenaPolicyValueModule, model_config={}),
        }
    )
    config = arena_ppo_config(seed=seed, **RUN).rl_module(rl_module_spec=spec)
    if p1_overrides:  # PPO settings for p1 only (chapter 4)
        config = config.rl_module(
            algorithm_config_overrides_per_module={"p1": PPOConfig.overrides(**p1_overrides)}
        )
    return config


algo = module_config(seed=SEED, p1_model_config={"activation": "relu"}).build_algo()
print(algo.get_module("p1").encoder)
algo.stop()

# %% [markdown]
# RLlib builds PPO around our module: it creates it on the learner and for
# sampling, and its optimizer, losses and weight syncing work as before.
#
# ## Does ours learn like the default?
#
# A fair comparison changes one thing and keeps everything else: the same PPO
# settings, the same seeds, the same number of iterations. A single seed is not
# enough: two seeds of the *same* network can differ more than two networks do.
# So every set-up below trains with four seeds, and we compare agent1's mean
# return over its last 100 episodes (chapter 3's smooth measure) along the way and
# at the end.

# %%
import pandas as pd

from handson_rl.tools.parallel import side_by_side
from handson_rl.training.loop import iterate

CPUS_PER_RUN = 1  # each run samples and learns in one process: one core's work
# Four seeds from the course's: on 2 CPUs two runs go at a time, so four take two
# rounds, as three would, with no core left idle in the second.
SEEDS = [SEED + k for k in pick(full=[0, 1, 2, 3], smoke=[0])]
ITERATIONS = pick(full=15, smoke=1)


def train_one(name, config_for_seed, seed):
    """Train one set-up with one seed; one row per iteration."""
    rows = []
    algo = config_for_seed(seed).build_algo()
    for step in iterate(algo, ITERATIONS):
        p1 = step.result["learners"]["p1"]
        rows.append(
            {
                "setup": name,
                "seed": seed,
                "iteration": step.row["iteration"],
                "env_steps": step.row["env_steps"],
                "agent1_last100": step.row["agent1_last100"],
                "agent2_last100": step.row["agent2_last100"],
                "p1_policy_loss": float(p1["policy_loss"]),
                "p1_vf_loss": float(p1["vf_loss"]),
            }
        )
    algo.stop()
    return rows


def run(name, config_for_seed):
    """Train one set-up once per seed; return a table with one row per iteration and seed.

    The seeds' runs do not depend on each other, so they go side by side: each is
    a Ray task asking for CPUS_PER_RUN CPUs, so Ray runs as many at once as its
    CPUs allow (two on 2 CPUs), each sampling and learning in its own process.
    """
    per_seed = side_by_side(
        train_one, [(name, config_for_seed, seed) for seed in SEEDS], cpus=CPUS_PER_RUN
    )
    for seed, rows in zip(SEEDS, per_seed):
        print(
            f"{name}, seed {seed}: agent1 {rows[-1]['agent1_last100']:.1f} after {ITERATIONS} iterations"
        )
    return pd.DataFrame([row for rows in per_seed for row in rows])


runs = {}
runs["RLlib default"] = run("RLlib default", lambda seed: arena_ppo_config(seed=seed, **RUN))
runs["ours"] = run("ours", lambda seed: module_config(seed))

# %% [markdown]
# Two helpers show the runs: a plot of agent1's last-100 return against env steps
# (thin lines: one seed each; thick: the mean over seeds) and a table of where
# each seed ended. Above the table, one line per set-up compares it with `ours`
# through the course's one rule for comparisons (`handson_rl.verdicts`):
# the gap between the two means counts as *beyond the noise* only when it is
# larger than twice its standard error, computed from the seeds' spread.

# %%
import matplotlib.pyplot as plt

from handson_rl.tools.plotting import add_random_baseline
from handson_rl.verdicts import chance_called_different, compare

COLOURS = ["#777777", "#1f61b4", "#d64d27", "#2a9d4b", "#8e44ad", "#c28e0e"]


def plot_setups(names, title, ax=None):
    ax = ax or plt.subplots(figsize=(7, 3.6))[1]
    for name in names:
        colour = COLOURS[list(runs).index(name) % len(COLOURS)]  # one colour per set-up
        table = runs[name]
        for _, seed_rows in table.groupby("seed"):
            ax.plot(
                seed_rows["env_steps"],
                seed_rows["agent1_last100"],
                color=colour,
                alpha=0.35,
                linewidth=1,
            )
        mean = table.groupby("iteration")[["env_steps", "agent1_last100"]].mean()
        ax.plot(
            mean["env_steps"],
            mean["agent1_last100"],
            color=colour,
            linewidth=2.5,
            label=f"{name} (mean of {len(SEEDS)} seeds)",
        )
    add_random_baseline(ax, "agent1")  # dashed: what a random agent1 scores
    ax.set(xlabel="env steps sampled", ylabel="agent1: mean return, last 100 episodes", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def final_table(names, baseline="ours"):
    """Where each seed ended, and a verdict for each set-up against the baseline."""
    last = pd.concat([runs[n] for n in names]).query("iteration == iteration.max()")
    table = last.pivot(index="setup", columns="seed", values="agent1_last100").loc[names]
    table.columns = [f"seed {s}" for s in table.columns]
    seed_columns = list(table.columns)
    table["mean"] = table.mean(axis=1)
    base = baseline if baseline in names else names[0]
    for name in names:
        if name == base:
            continue
        if len(seed_columns) < 2:
            print(
                f"{name} vs {base}: one seed only, so no verdict (the seeds' spread is the yardstick)"
            )
            continue
        print(
            compare(
                table.loc[name, seed_columns],
                table.loc[base, seed_columns],
                names=(name, base),
                what="agent1, last 100 episodes",
            )
        )
    return table.map(one_decimal)


def one_decimal(value):
    """Round like the printed lines (Python's round, as f"{value:.1f}"), not numpy's."""
    return round(float(value), 1)


plot_setups(["RLlib default", "ours"], "Our module with RLlib's defaults vs RLlib's module")
plt.show()
if len(SEEDS) >= 2:
    print(
        f"(with {len(SEEDS)} seeds a side, two set-ups that really are the same come out "
        f"'beyond the noise' about 1 time in {1 / chance_called_different(len(SEEDS)):.0f})"
    )
final_table(["RLlib default", "ours"])

# %% [markdown]
# Read the verdict line above the table. The two modules have the same layers
# and the same initialisation, so they should learn the same, and the verdict is
# the check. *Within the noise*, the expected outcome, means the seeds of one
# set-up spread further than the gap between the two means, whichever mean
# happens to be higher: `ours` can stand in for RLlib's module. *Beyond the
# noise* can happen even to two set-ups that really are the same, and with a
# few seeds a side more often than the one time in twenty of many values (the
# standard errors are themselves rough): the line above the table says how often.
# If yours says so, look at the seeds in the table (one stray seed can do it) and
# rerun with another course seed (set `COURSE_SEED` before starting Jupyter)
# before you trust it. From here on, `ours` is the baseline.
#
# ## One change at a time
#
# Now the experiments. Each changes one setting of agent1's module, and is
# compared with `ours` (same seeds, same iterations).
#
# ### Change 1: one encoder for policy and value
#
# `shared_encoder=True` removes the value encoder: the value head reads the
# policy's features. Fewer weights, and the features are trained by both losses.

# %%
runs["shared encoder"] = run(
    "shared encoder", lambda seed: module_config(seed, {"shared_encoder": True})
)
plot_setups(["ours", "shared encoder"], "Change 1: a shared encoder")
plt.show()
final_table(["ours", "shared encoder"])

# %% [markdown]
# Read the verdict line: is the gap between the shared encoder and `ours` beyond
# the noise, and which way? The table says how clear a gap is (does every seed of
# one set-up end below every seed of the other?), and the plot says when the
# curves part: from the start, or only later in the run.
#
# Why could one encoder cost agent1 return? The learner minimises one sum, the
# policy loss plus `vf_loss_coeff` (1.0) times the value loss. With separate
# encoders each network gets only its own loss's gradient. With one encoder, both
# gradients shape the same features, and the policy may have to make do with
# features shaped for predicting returns.
# Whether the value loss's pull is the stronger one cannot be read from the sizes
# of the two losses (which `run` records): the policy loss is computed from
# advantages that RLlib standardises in every batch (mean 0, standard deviation
# 1), so its size says little about its gradient's. What makes the value loss's
# pull plausible is its scale: agent1's returns range over tens of points (even
# a random agent1's episode returns spread over tens of points, chapter 2) and
# the course does not clip the value loss (`vf_clip_param=inf`,
# chapter 3). The next change tests the idea directly.
#
# ### Change 2: shared encoder, value loss weighted down
#
# If that is the reason, shrinking the value loss's weight in the sum
# (`vf_loss_coeff`, default 1.0) should give the policy its features back. Same
# shared encoder, `vf_loss_coeff=0.01` for agent1's module only:

# %%
runs["shared, vf_loss_coeff=0.01"] = run(
    "shared, vf_loss_coeff=0.01",
    lambda seed: module_config(
        seed, {"shared_encoder": True}, p1_overrides={"vf_loss_coeff": 0.01}
    ),
)
plot_setups(
    ["ours", "shared encoder", "shared, vf_loss_coeff=0.01"], "Change 2: the value loss's weight"
)
plt.show()
# One more verdict line: the weighted-down set-up against the shared encoder at full weight.
_ = final_table(["shared encoder", "shared, vf_loss_coeff=0.01"], baseline="shared encoder")
final_table(["ours", "shared encoder", "shared, vf_loss_coeff=0.01"])

# %% [markdown]
# Three verdict lines this time; the middle one repeats Change 1's. The first
# compares the weighted-down set-up with the shared encoder at full weight:
# *beyond the noise*, higher, means that weighting the value loss down won back
# return the shared encoder had cost; *within the noise* means this run cannot
# tell whether it did. The last compares it with `ours`: *within the noise* does
# not mean it caught up completely, only that four seeds of `ITERATIONS`
# iterations cannot tell the two apart; *beyond the noise*, lower, means
# something besides the value loss's weight still costs return; *beyond the
# noise*, higher, means the shared features with a light value loss did better
# than separate encoders on your seeds: a finding worth a rerun with another
# `COURSE_SEED` before you trust it (the first verdict of this chapter printed
# how often identical set-ups are called different). If the first says
# higher and the last within the noise, the evidence points to the balance of the
# two losses in the shared features, not to sharing itself.
#
# ### Change 3: ReLU instead of tanh
#
# Back to separate encoders; only the activation changes.

# %%
runs["ReLU"] = run("ReLU", lambda seed: module_config(seed, {"activation": "relu"}))
plot_setups(["ours", "ReLU"], "Change 3: ReLU instead of tanh")
plt.show()
final_table(["ours", "ReLU"])

# %% [markdown]
# What does your verdict line say? *Beyond the noise* names the higher of ReLU
# and tanh on this game and budget. *Within the noise* does not mean they are
# the same: four seeds can miss a small gap, so a rerun with another course seed
# may come out either way. Unless ReLU ends higher beyond the noise, there is no
# reason here to leave tanh, RLlib's default.
#
# ### Change 4: the size
#
# RLlib's own default is `[256, 256]`, the course's `[64, 64]`. What does a much
# smaller network do? Agent1 gets `hidden_sizes=[16, 16]`, everything else as in `ours`:

# %%
small = RLModuleSpec(
    module_class=ArenaPolicyValueModule,
    observation_space=OBS_SPACE,
    action_space=ACTION_SPACE,
    model_config={"hidden_sizes": [16, 16]},
).build()
print(f"[16, 16]: {count_parameters(small):,} weights (ours: {count_parameters(ours):,})")

runs["[16, 16]"] = run("[16, 16]", lambda seed: module_config(seed, {"hidden_sizes": [16, 16]}))
plot_setups(["ours", "[16, 16]"], "Change 4: hidden layers of 16 instead of 64")
plt.show()
final_table(["ours", "[16, 16]"])

# %% [markdown]
# With hidden layers of 16 (about a fifth of the weights; the cell prints both
# counts), does agent1 end below `ours` beyond the noise? If the verdict says so,
# the small network learns slower within this budget; the plot shows whether it
# was behind from the first iterations or fell behind later. Whether it would
# catch up with more iterations, this run does not say.
#
# ### All of them
#
# The same numbers side by side: agent1's last-100 return halfway through (mean
# over the seeds), and at the end (each seed, and their mean).

# %%
everything = pd.concat(runs.values())
HALFWAY = max(1, ITERATIONS // 2)
summary = final_table(list(runs))
summary.insert(
    0,
    f"after {HALFWAY} (mean)",
    everything.query("iteration == @HALFWAY")
    .groupby("setup")["agent1_last100"]
    .mean()
    .map(one_decimal),
)
summary

# %% [markdown]
# The lines above the table give each set-up's verdict against `ours`; the
# table adds where each stood halfway (after `HALFWAY` iterations). Which
# changes are beyond the noise in your run, and which gaps opened only in the
# second half? Your numbers will differ from another learner's (another machine
# or library version is enough), and with four seeds a side a verdict near the
# line can flip from one run to the next: a gap far beyond the noise is a
# finding, one just past it is a reason to rerun with another course seed.
#
# **What this says about writing a module.** Start from a module that matches a
# network known to work (here: RLlib's default), check it learns as well, and
# only then change things, one at a time, over a few seeds. Whether a change
# helps is a property of the whole set-up: a shared encoder is not wrong in
# itself, but here its features also serve a large, unclipped value loss
# (agent1's returns range over tens of points, and the course switches value-loss
# clipping off, chapter 3), and Changes 1 and 2 test what that costs.

# %% [markdown]
# ## Exercise 4: a deeper module of your own
#
# Write `DeeperModule`, an RLModule that PPO can train, with **separate** policy
# and value networks, each with **three** hidden layers of 64 units and tanh (one
# hidden layer more than the default). Start from `ArenaPolicyValueModule` above;
# you may use the package's `mlp(in_size, hidden_sizes, activation)` helper or
# write the `nn.Sequential` yourself.
#
# - In `setup()`, read the sizes from the spaces: `self.observation_space.shape[0]`
#   inputs, `self.action_space.n` logits.
# - `_forward` returns `{Columns.ACTION_DIST_INPUTS: logits}`.
# - `compute_values` returns one value per observation, shape `(batch_size,)`.
#
# The check builds your class (also for other spaces, to catch hard-coded sizes),
# runs its forward passes, counts the `Linear` layers each output's gradient
# reaches, and trains a tiny PPO with it for agent1 (its weights must change and
# nothing may become NaN).

# %% tags=["needs-solution"]
from ray.rllib.core.rl_module.apis import ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule
from torch import nn


class DeeperModule(TorchRLModule, ValueFunctionAPI):
    """Policy and value networks of their own, each with three hidden layers of 64 (tanh)."""

    def setup(self):
        # BEGIN SOLUTION: Exercise 4: build self.encoder + self.policy_head and self.value_encoder + self.value_head (three hidden layers of 64, tanh), sizes from self.observation_space and self.action_space
        obs_size = self.observation_space.shape[0]
        self.encoder = mlp(obs_size, [64, 64, 64], "tanh")
        self.policy_head = nn.Linear(64, self.action_space.n)
        self.value_encoder = mlp(obs_size, [64, 64, 64], "tanh")
        self.value_head = nn.Linear(64, 1)
        # END SOLUTION

    def _forward(self, batch, **kwargs):
        # BEGIN SOLUTION: Exercise 4: return {Columns.ACTION_DIST_INPUTS: logits} from the policy network
        features = self.encoder(batch[Columns.OBS])
        return {Columns.ACTION_DIST_INPUTS: self.policy_head(features)}
        # END SOLUTION

    def compute_values(self, batch, embeddings=None):
        # BEGIN SOLUTION: Exercise 4: return one value per observation, shape (batch_size,), from the value network
        features = self.value_encoder(batch[Columns.OBS])
        return self.value_head(features).squeeze(-1)
        # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.exercise4 import check_exercise4

check_exercise4(DeeperModule)

# %% [markdown]
# Does the extra layer help agent1? Find out the way this chapter does, over the
# same seeds and iterations as `ours`:
#
# ```python
# runs["deeper"] = run("deeper", lambda seed: arena_ppo_config(seed=seed, **RUN).rl_module(
#     rl_module_spec=MultiRLModuleSpec(rl_module_specs={
#         "p1": RLModuleSpec(module_class=DeeperModule),
#         "p2": RLModuleSpec(module_class=ArenaPolicyValueModule)})))
# plot_setups(["ours", "deeper"], "A third hidden layer"); final_table(["ours", "deeper"])
# ```
#
# (`module_config(seed, {"hidden_sizes": [64, 64, 64]})` builds the same network
# with the course's module.) Before you call a difference an improvement, compare
# it with how far apart the seeds of `ours` already are.

# %% [markdown]
# ## Coming from TensorFlow / Keras?
#
# The 2021 version of this course let learners pick TensorFlow (`tf.keras`) or
# PyTorch. **RLlib's new API stack supports PyTorch only**: RLModules, Learners
# and connectors are written for torch, and the TensorFlow code paths belong to
# the old API stack. If you know Keras, the translation is mostly mechanical.
#
# Coming from the old API / Keras (for reading only; this does not run in RLlib
# today):
#
# ```python
# # Keras
# encoder = tf.keras.Sequential([
#     tf.keras.layers.Dense(64, activation="tanh", input_shape=(200,)),
#     tf.keras.layers.Dense(64, activation="tanh"),
# ])
# policy_head = tf.keras.layers.Dense(4)   # logits
# ```
#
# The same in PyTorch, as `ArenaPolicyValueModule.setup()` builds its policy
# network (the value network is a second encoder like this one, then
# `nn.Linear(64, 1)`):
#
# ```python
# # PyTorch
# encoder = nn.Sequential(
#     nn.Linear(200, 64), nn.Tanh(),
#     nn.Linear(64, 64), nn.Tanh(),
# )
# policy_head = nn.Linear(64, 4)   # logits
# ```
#
# Differences to remember: a torch `Linear` names its input size explicitly
# (Keras infers it); activations are layers of their own; and calling the model
# is `encoder(obs)` in both.

# %% [markdown]
# ## Recap
#
# - PPO's default module is a policy MLP and a separate value MLP (tanh, PyTorch's
#   default initialisation, one linear layer per head); size it with
#   `.rl_module(model_config=DefaultModelConfig(fcnet_hiddens=..., fcnet_activation=...))`.
# - A custom network is a `TorchRLModule`: build layers in `setup()`, return
#   `Columns.ACTION_DIST_INPUTS` from `_forward`, and implement `compute_values`
#   (`ValueFunctionAPI`) for PPO.
# - `MultiRLModuleSpec({module_id: RLModuleSpec(module_class=..., model_config=...)})`
#   gives every module its own network; pass it with `.rl_module(rl_module_spec=...)`.
# - Test a module on its own (shapes, probabilities, values) before training it;
#   then check it learns like a network known to work before changing anything.
# - Change one thing at a time, over several seeds, with everything else fixed; a
#   difference smaller than the spread between seeds is not a finding.
#
# **What to try next:** a bigger network (`hidden_sizes=[256, 256]`, RLlib's own
# default size) with this learning rate; a `nn.LayerNorm` after each hidden layer;
# more seeds or iterations for the ReLU comparison; make agent2's network much
# smaller than agent1's and see whether the chase changes.

# %%
ray.shutdown()

# %%
from handson_rl.progress_report import show_progress

show_progress(9)
