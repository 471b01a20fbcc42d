# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 5. Looking inside an algorithm
#
# **Goal of this chapter:** open up a trained algorithm, take out agent1's
# network (its RLModule), feed it an observation by hand, turn its output into
# action probabilities, sample an action, and check that this is exactly what the
# algorithm does when it plays.
#
# Time: about 15 minutes, of which about 30 seconds are training.

# %%
import numpy as np
import ray
import torch

from handson_rl.budget import pick
from handson_rl.training.loop import train
from handson_rl.training.quiet import quiet_ray
from handson_rl.training.config import arena_ppo_config

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False)

# num_env_runners=0: sample in this process, so we can look inside the env runner too.
algo = arena_ppo_config(seed=0, num_env_runners=0).build_algo()
history = train(algo, pick(full=15, smoke=1), label="PPO")

# %% [markdown]
# ## Get a module
#
# `algo.get_module(module_id)` returns one module. It is a regular PyTorch
# `nn.Module` underneath; printing it shows its layers:

# %%
module = algo.get_module("p1")
print(type(module).__name__)
print(module)

# %% [markdown]
# Three parts: an **encoder** (two hidden layers of 64 units, tanh activations)
# turns the 200-number input into features; the **pi** head turns them into 4
# numbers, one per action; the **vf** head (and, because PPO keeps policy and
# value networks separate by default, a second encoder for it) predicts the return
# from here on, which PPO uses to judge whether an action was better than
# expected. How many weights is that?

# %%
n_params = sum(p.numel() for p in module.parameters())
print(f"{n_params:,} parameters")

# %% [markdown]
# ## From an observation to the network's input
#
# The env gives agent1 `[own cell, agent2's cell]`, two integers. The network
# wants 200 numbers: the connector from chapter 3 one-hot encodes each cell index
# into 100 numbers and puts the two side by side. `handson_rl.training.policies.one_hot`
# does the same by hand:

# %%
from handson_rl.arena import MultiAgentArena
from handson_rl.training.policies import one_hot

env = MultiAgentArena()
obs, _ = env.reset(seed=0)
x = one_hot(obs["agent1"])
print("observation:", obs["agent1"], "-> input of length", x.shape[0])
print("ones at positions:", np.flatnonzero(x))

# %% [markdown]
# ## A forward pass: logits
#
# Modules have three forward methods: `forward_inference` (acting greedily, e.g.
# in evaluation), `forward_exploration` (acting while collecting training data)
# and `forward_train` (inside the learner). Each takes a batch dict and returns a
# dict. The action part of the output is `action_dist_inputs`: for a discrete
# action space, one **logit** per action.

# %%
from ray.rllib.core.columns import Columns

batch = {Columns.OBS: torch.from_numpy(x)[None]}  # [None]: a batch of one
with torch.no_grad():
    out = module.forward_inference(batch)
logits = out[Columns.ACTION_DIST_INPUTS][0]
print("output keys:", list(out))
print("logits:", logits.numpy().round(3))

# %% [markdown]
# ## Logits to probabilities to an action
#
# A softmax turns logits into probabilities; sampling from them gives an action.
# RLlib does the same through the module's action distribution class, which we
# use to cross-check our softmax:

# %%
from handson_rl.arena import ACTION_NAMES

probs = torch.softmax(logits, dim=-1)
dist = module.get_inference_action_dist_cls().from_logits(logits[None])
for name, p in zip(ACTION_NAMES, probs):
    print(f"{name:>5}: {p:.3f}")

rng = np.random.default_rng(0)
sampled = rng.choice(4, p=probs.numpy() / probs.numpy().sum())
print("most likely:", ACTION_NAMES[int(probs.argmax())], "| sampled:", ACTION_NAMES[sampled])
print("RLlib's distribution agrees:", torch.allclose(dist.to_deterministic().sample()[0], probs.argmax()))

# %% [markdown]
# What would you expect? In the top-left corner, "up" and "left" walk into a wall
# (no new cell, -0.5), so a trained agent1 should prefer "right" or "down". Here
# are its preferences on three boards, drawn as arrows whose length is the
# probability:

# %%
import matplotlib.pyplot as plt

from handson_rl.training.policies import action_probabilities

arrows = {0: (0, 1), 1: (1, 0), 2: (0, -1), 3: (-1, 0)}  # (dx, dy) in plot coordinates
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (own, other) in zip(axes, [((0, 0), (9, 9)), ((4, 4), (9, 9)), ((4, 4), (5, 4))]):
    p = action_probabilities(module, [own[0] * 10 + own[1], other[0] * 10 + other[1]])
    ax.set_xlim(-0.5, 9.5), ax.set_ylim(9.5, -0.5), ax.set_aspect("equal")
    ax.set_xticks(range(10)), ax.set_yticks(range(10)), ax.grid(alpha=0.3)
    ax.scatter([own[1]], [own[0]], s=250, c="#1f61b4", zorder=3)
    ax.scatter([other[1]], [other[0]], s=250, c="#d64d27", zorder=3)
    for a, (dx, dy) in arrows.items():
        ax.arrow(own[1], own[0], 1.6 * p[a] * dx, -1.6 * p[a] * dy, width=0.06, color="#1f61b4", zorder=4)
    ax.set_title(f"agent1 at {list(own)}, agent2 at {list(other)}", fontsize=9)
fig.suptitle("agent1's action probabilities (arrow length)")
plt.tight_layout()

# %% [markdown]
# Look at the third board: agent2 stands right below agent1, so "down" would be a
# collision (-1 for agent1) and "up", "left" or "right" would be better. Does your
# agent1 see that? After only 15 iterations it often does not: the first thing a
# policy learns is the big, frequent reward (new cells, away from the walls); a
# rare situation like this one, where the *other* agent's cell matters, comes
# much later. Chapter 12's agents, trained for 80 iterations, have had more
# chances to learn it.

# %% [markdown]
# ## Check it against the algorithm
#
# Does our hand-made pipeline (one-hot, `forward_inference`, argmax) really match
# what RLlib does? Let the algorithm's own env runner play one episode without
# exploration (greedy actions) and compare, step by step, the actions it took with
# the ones our pipeline picks for the same observations:

# %%
episodes = algo.env_runner.sample(num_episodes=1, explore=False)
episode = episodes[0]
agent_episode = episode.agent_episodes["agent1"]
# The episode stores what the module saw: the connector's one-hot vectors.
observations = agent_episode.get_observations()[:-1]  # the last one has no action
actions = agent_episode.get_actions()


def greedy(x):
    batch = {Columns.OBS: torch.as_tensor(x, dtype=torch.float32)[None]}
    with torch.no_grad():
        return int(module.forward_inference(batch)[Columns.ACTION_DIST_INPUTS][0].argmax())


print("first stored observation has", len(observations[0]), "numbers, ones at", np.flatnonzero(observations[0]))
ours = [greedy(o) for o in observations]
matches = sum(int(a) == b for a, b in zip(actions, ours))
print(f"our pipeline picked the same action as RLlib in {matches} of {len(ours)} steps")
assert matches == len(ours)

# %%
algo.stop()
ray.shutdown()

# %% [markdown]
# ## Recap
#
# - `algo.get_module("p1")` returns a module, a PyTorch network with an encoder,
#   a policy head (`pi`) and a value head (`vf`).
# - The env's `[own, other]` observation becomes a 200-number one-hot input.
# - `forward_inference` returns `action_dist_inputs`: logits; a softmax gives the
#   action probabilities; argmax acts greedily, sampling explores.
# - Our hand-made pipeline picks exactly the actions the algorithm's own env
#   runner picks.
#
# **Try next:** put agent2 right next to agent1 and look at agent2's module
# (`algo.get_module("p2")`): does it move towards agent1?
