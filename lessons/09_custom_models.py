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
# **Goal of this chapter:** see the network RLlib builds for each agent by default
# and size it through the model config; write your own PyTorch network as an
# **RLModule** (an encoder, a policy head, a value head), test it on its own,
# give agent1 and agent2 different networks, and compare its learning with the
# default network's.
#
# Time: about 20 minutes, of which about two minutes are training.

# %%
import ray

from handson_rl.budget import pick
from handson_rl.training.quiet import quiet_ray

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False)

# %% [markdown]
# ## The default network
#
# Unless told otherwise, PPO gives each module two small MLPs: a **policy
# network** (observation to one logit per action) and a separate **value
# network** (observation to one number, the expected return). Their size comes
# from the model config. Let us build the course's algorithm (without extra
# sampling processes, we only want to look) and print agent1's module:

# %%
from handson_rl.training.models import count_parameters
from handson_rl.training.config import arena_ppo_config

LOOK = dict(num_env_runners=0, num_envs_per_env_runner=1)  # cheap to build

algo = arena_ppo_config(**LOOK).build_algo()
default_module = algo.get_module("p1")
print(default_module)
print(f"{count_parameters(default_module):,} weights")
algo.stop()

# %% [markdown]
# This is the copy the env runners use to *act*, so it holds only the policy
# network: `encoder` and `pi`, from 200 inputs (the one-hot encoded observation:
# 100 cells for agent1's position, 100 for agent2's) through two hidden layers of
# 64 units to 4 logits. The learner's copy also has the value network (`vf`, with
# its own encoder of the same shape), about as many weights again. RLlib's own
# default is `[256, 256]`; the course config uses `[64, 64]` (chapter 3 explains
# why).
#
# To resize it, pass a `DefaultModelConfig` to `.rl_module(...)`:

# %%
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

bigger = arena_ppo_config(**LOOK).rl_module(
    model_config=DefaultModelConfig(
        fcnet_hiddens=[128, 128, 128],  # three hidden layers
        fcnet_activation="relu",  # instead of tanh
    )
)
algo = bigger.build_algo()
print(algo.get_module("p1").pi)
print(f"{count_parameters(algo.get_module('p1')):,} weights")
algo.stop()

# %% [markdown]
# Other useful fields of `DefaultModelConfig`: `vf_share_layers=True` (one
# encoder for both policy and value), `head_fcnet_hiddens` (extra layers in the
# heads), `use_lstm=True` (a memory, for games where one observation is not
# enough).
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
# The course's module, in the package so that tests can check it, is a small
# network with one shared **encoder** and two **heads**:

# %%
import inspect

from handson_rl.training.models import ArenaPolicyValueModule

print(inspect.getsource(ArenaPolicyValueModule))

# %% [markdown]
# - `setup()` runs once, when RLlib builds the module: it reads the spaces
#   (`self.observation_space` is already the one-hot `Box(200)`) and the module's
#   own settings, `self.model_config`, a plain dict.
# - `_forward` serves both acting modes (exploring while sampling and greedy
#   inference); `_forward_train` also returns the encoder's features, which the
#   learner passes back to `compute_values` so the encoder runs once per batch.
#
# Unlike the default module, policy and value here share the encoder: fewer
# weights, but the value loss now also shapes the features the policy uses.
#
# ## Check it on its own first
#
# A module is an ordinary PyTorch module: build it from a spec with the spaces it
# will see, feed it a batch, look at the shapes. Doing this before training turns
# a confusing error deep inside RLlib into a two-line test.

# %%
import gymnasium as gym
import numpy as np
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

module = RLModuleSpec(
    module_class=ArenaPolicyValueModule,
    observation_space=gym.spaces.Box(0.0, 1.0, (200,), np.float32),
    action_space=gym.spaces.Discrete(4),
    model_config={"hidden_sizes": [64, 64], "activation": "relu"},
).build()

# Three observations: agent1 on cell 0, 11, 22; agent2 on cell 99.
obs = torch.zeros(3, 200)
obs[[0, 1, 2], [0, 11, 22]] = 1.0
obs[:, 100 + 99] = 1.0
batch = {Columns.OBS: obs}

logits = module.forward_inference(batch)[Columns.ACTION_DIST_INPUTS]
values = module.compute_values(batch)
print("logits:", tuple(logits.shape), " values:", tuple(values.shape))
print("action probabilities:\n", torch.softmax(logits, dim=-1).detach().numpy().round(3))
print(f"{count_parameters(module):,} weights")

# %% [markdown]
# 3 observations in, 3 x 4 logits and 3 values out; an untrained module picks
# every action with probability about 0.25 (its policy head starts with tiny
# weights on purpose). The package's tests (`tests/test_models.py`) check the
# same and more.
#
# ## Plug it in, per agent
#
# A `MultiRLModuleSpec` says which module class (and settings) each module id
# gets. Here agent1 (`p1`) gets two layers of 64 with ReLU and agent2 (`p2`) a
# single layer of 32 with tanh, just to show they can differ:

# %%
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec

custom_spec = MultiRLModuleSpec(
    rl_module_specs={
        "p1": RLModuleSpec(
            module_class=ArenaPolicyValueModule,
            model_config={"hidden_sizes": [64, 64], "activation": "relu"},
        ),
        "p2": RLModuleSpec(
            module_class=ArenaPolicyValueModule,
            model_config={"hidden_sizes": [32], "activation": "tanh"},
        ),
    }
)

ITERATIONS = pick(full=25, smoke=1)
SEED = 0

custom_config = arena_ppo_config(seed=SEED).rl_module(rl_module_spec=custom_spec)
algo = custom_config.build_algo()
print(algo.get_module("p2"))

# %% [markdown]
# RLlib built PPO around our module: it creates it on the learner and on every env
# runner, and its optimizer, losses and weight syncing work as before. Train:

# %%
from handson_rl.training.loop import train

custom_history = train(algo, ITERATIONS, label="custom module")
algo.stop()

# %% [markdown]
# ## Compare with the default network
#
# Same settings, same seed, same number of iterations, the default network:

# %%
algo = arena_ppo_config(seed=SEED).build_algo()
default_history = train(algo, ITERATIONS, label="default network")
algo.stop()

# %%
import matplotlib.pyplot as plt

from handson_rl.training.plotting import plot_returns

ax = plot_returns(default_history, label_prefix="default: ", title="Default network vs custom module")
plot_returns(custom_history, ax=ax, label_prefix="custom: ", linestyle="--")
plt.show()

# %% [markdown]
# In the two runs we did while writing this chapter (seed 0, 25 iterations), the
# custom module learned more slowly and less steadily than the default network,
# and agent1 ended clearly lower with it. (The curves differed between the two
# runs: with 2 env runners the order in which samples arrive varies, so a seed
# does not make a run exactly repeatable. The picture did not.) The two set-ups differ in more
# than layer sizes, though. Our module shares one encoder between the policy and
# the value function, so the value loss (agent1's returns run to +-50, so its
# errors are large) also reshapes the features the policy relies on; the default
# module keeps them apart. And agent2 got a smaller network here, so agent1 also
# faced a different opponent.
#
# One seed and a couple of minutes of training cannot rank two networks; to
# compare architectures seriously, run several seeds of each (chapter 7's
# Tune sweeps do exactly that: put the module spec in the grid).

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
#     tf.keras.layers.Dense(64, activation="relu", input_shape=(200,)),
#     tf.keras.layers.Dense(64, activation="relu"),
# ])
# policy_head = tf.keras.layers.Dense(4)   # logits
# value_head = tf.keras.layers.Dense(1)
# ```
#
# The same in PyTorch, as `ArenaPolicyValueModule.setup()` builds it:
#
# ```python
# # PyTorch
# encoder = nn.Sequential(
#     nn.Linear(200, 64), nn.ReLU(),
#     nn.Linear(64, 64), nn.ReLU(),
# )
# policy_head = nn.Linear(64, 4)   # logits
# value_head = nn.Linear(64, 1)
# ```
#
# Differences to remember: a torch `Linear` names its input size explicitly
# (Keras infers it); activations are layers of their own; and calling the model
# is `encoder(obs)` in both.

# %% [markdown]
# ## Recap
#
# - PPO's default module is a policy MLP and a value MLP; size them with
#   `.rl_module(model_config=DefaultModelConfig(fcnet_hiddens=..., fcnet_activation=...))`.
# - A custom network is a `TorchRLModule`: build layers in `setup()`, return
#   `Columns.ACTION_DIST_INPUTS` from `_forward`, and implement `compute_values`
#   (`ValueFunctionAPI`) for PPO.
# - `MultiRLModuleSpec({module_id: RLModuleSpec(module_class=..., model_config=...)})`
#   gives every module its own network; pass it with `.rl_module(rl_module_spec=...)`.
# - Test a module on its own (shapes, probabilities, values) before training it.
#
# **What to try next:** give the module a second encoder for the value head (so
# policy and value no longer share features) and compare again; add a `nn.LayerNorm` after each hidden layer; make agent2's network
# much smaller than agent1's and see whether the chase changes.

# %%
ray.shutdown()
