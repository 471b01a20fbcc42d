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
# Time: about 15 minutes, of which well under a minute is training.

# %%
# How much this notebook trains: the full course for you, a short run in CI.
from handson_rl.budget import pick

ITERATIONS = pick(full=15, smoke=1)

# %%
import numpy as np
import ray
import torch

from handson_rl.training.config import arena_ppo_config
from handson_rl.training.loop import train
from handson_rl.training.quiet import quiet_ray

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)

# num_env_runners=0: sample in this process, so we can look inside the env runner too.
algo = arena_ppo_config(seed=0, num_env_runners=0).build_algo()
history = train(algo, ITERATIONS, label="PPO")

# %% [markdown]
# ## Get a module
#
# `algo.get_module(module_id)` returns one module. It is a regular PyTorch
# `nn.Module` underneath; printing it shows its layers. One thing to know first:
# RLlib keeps **two copies** of every module. The **learner** holds the full one
# that trains; each **env runner** holds a lighter copy that only picks actions,
# and gets the learner's new weights after every iteration. `get_module` returns
# the env runner's copy:

# %%
module = algo.get_module("p1")
print(type(module).__name__, "| inference_only:", module.inference_only)
print(module)

# %% [markdown]
# Two parts: the **actor_encoder** (two hidden layers of 64 units, tanh
# activations) turns the 200-number input into 64 features, and the **pi** head
# turns those into 4 numbers, one per action. That is all an env runner needs
# to act, so that is all its copy has (`inference_only: True`). How many weights?

# %%
n_params = sum(p.numel() for p in module.parameters())
print(f"env runner's copy: {n_params:,} parameters")

# %% [markdown]
# The learner's copy has more: PPO also trains a **value network** (chapter 3's
# $V(s)$, which predicts the return from here on and turns returns into
# advantages). It has its own encoder, the **critic_encoder** (PPO's default
# `vf_share_layers=False`), and a **vf** head with one output. The learner does
# not hand out its module, but it hands out its weights, by name:

# %%
from collections import Counter

learner_weights = algo.learner_group.get_weights(module_ids=["p1"])["p1"]
per_part = Counter()
for name, value in learner_weights.items():
    if name.endswith("_const"):  # two fixed constants RLlib stores with the heads; not trained
        continue
    part = name.split(".")[1] if name.startswith("encoder.") else name.split(".")[0]
    per_part[part] += np.size(value)
for part, count in per_part.items():
    print(f"{part:>15}: {count:>6,}")
print(f"{'learner total':>15}: {sum(per_part.values()):>6,}")
print(f"{'env runner':>15}: {n_params:>6,} (actor_encoder + pi)")

# %% [markdown]
# The two copies share the actor encoder and the pi head (same weights); the
# learner's adds the critic encoder and the vf head, about as many weights again.
# Chapter 6 restores a module from a checkpoint and counts the learner's full
# number, because checkpoints save the learner's copy.

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
# Modules have three forward methods: `forward_inference` (used when acting
# without exploration), `forward_exploration` (acting while collecting training
# data, the actions then sampled) and `forward_train` (inside the learner, for
# the loss). Each takes a batch dict and returns a dict. Before you run one:

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch5-inference-output")

# %%
from ray.rllib.core.columns import Columns

batch = {Columns.OBS: torch.from_numpy(x)[None]}  # [None]: a batch of one
with torch.no_grad():
    out = module.forward_inference(batch)
logits = out[Columns.ACTION_DIST_INPUTS][0]
print("output keys:", list(out))
print("logits:", logits.numpy().round(3))

# %% [markdown]
# The action part of the output is `action_dist_inputs`: for a discrete action
# space, one **logit** per action. None of the three forward methods returns
# values: PPO's `forward_train` adds only the value encoder's output
# (`embeddings`), and the values come from a separate method,
# `compute_values()`, which the learner calls: once on the whole batch before
# the epochs, to compute the advantages, and again in the loss of every
# minibatch, from `forward_train`'s embeddings. The env runner's copy has no value network, so it cannot call it.

# %% [markdown]
# ## Logits to probabilities to an action
#
# A softmax turns logits into probabilities; sampling from them gives an action.
# A softmax by hand first:

# %% tags=["concept"]
ask("ch5-softmax")

# %% [markdown]
# Check your answer, then apply the same softmax to the module's logits. RLlib
# does the same through the module's action distribution class, which we use to
# cross-check our softmax:

# %%
print(
    "softmax([2, 0, 0, 0]) =",
    torch.softmax(torch.tensor([2.0, 0.0, 0.0, 0.0]), dim=-1).numpy().round(3),
)

# %%
from handson_rl.arena import ACTION_NAMES

probs = torch.softmax(logits, dim=-1)
dist = module.get_inference_action_dist_cls().from_logits(logits[None])
for name, p in zip(ACTION_NAMES, probs):
    print(f"{name:>5}: {p:.3f}")

rng = np.random.default_rng(0)
sampled = rng.choice(4, p=probs.numpy() / probs.numpy().sum())
print("most likely:", ACTION_NAMES[int(probs.argmax())], "| sampled:", ACTION_NAMES[sampled])
print(
    "RLlib's distribution agrees:",
    torch.allclose(dist.to_deterministic().sample()[0], probs.argmax()),
)

# %% [markdown]
# ### Your turn: a probability by hand
#
# Write `action_probability(logits, action)`: `logits` is a torch tensor of four
# numbers in the arena's action order (`ACTION_NAMES`: up, right, down, left), as
# `forward_inference` returns them for one observation; `action` is an action's
# name, such as `"down"`. Return that action's probability under the softmax, one
# number, without calling `torch.softmax`: exp() of each logit, divided by the
# sum of the four. It must also work for large logits, such as an overconfident
# network's `[1000, 995, 990, 0]`, where exp() overflows. Hint: subtracting the
# same number from every logit does not change the softmax.


# %%
def action_probability(logits, action):
    """The softmax probability of the action named `action` (up, right, down or left)."""
    # BEGIN SOLUTION: your turn: exp(logits - logits.max()), divided by its sum, taken at the action's index in ACTION_NAMES
    shifted = logits - logits.max()
    exps = torch.exp(shifted)
    return float(exps[ACTION_NAMES.index(action)] / exps.sum())
    # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.tasks.ch05_probability import check_action_probability

check_action_probability(action_probability)

# %% [markdown]
# Your function against RLlib's own action distribution, on the module's logits
# from above (`logp()` is the log of the probability):

# %% tags=["needs-solution"]
for index, name in enumerate(ACTION_NAMES):
    rllib_p = float(dist.logp(torch.tensor([index])).exp()[0])
    yours = action_probability(logits, name)
    print(
        f"{name:>5}: yours {yours:.4f}, RLlib's {rllib_p:.4f}, agree: {abs(yours - rllib_p) < 1e-5}"
    )

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
        # Start at the dot's edge (0.35 from its centre), so short arrows stay visible.
        ax.arrow(
            own[1] + 0.35 * dx,
            own[0] - 0.35 * dy,
            1.6 * p[a] * dx,
            -1.6 * p[a] * dy,
            width=0.06,
            head_width=0.22,
            head_length=0.15,
            length_includes_head=True,
            color="#1f61b4",
            zorder=4,
        )
    ax.set_title(f"agent1 at {list(own)}, agent2 at {list(other)}", fontsize=9)
    print(
        f"agent1 at {list(own)}, agent2 at {list(other)}: "
        + ", ".join(f"{name} {q:.2f}" for name, q in zip(ACTION_NAMES, p))
    )
fig.suptitle("agent1's action probabilities (arrow length)")
plt.tight_layout()

far, near = (action_probabilities(module, [44, other]) for other in (99, 54))
down, up = ACTION_NAMES.index("down"), ACTION_NAMES.index("up")
print(
    f'"down" (into agent2 on the third board): {far[down]:.2f} with agent2 far away, '
    f"{near[down]:.2f} with agent2 right below ({near[down] - far[down]:+.2f}); "
    f'"up": {far[up]:.2f} -> {near[up]:.2f}'
)
print("most likely move on the third board:", ACTION_NAMES[int(np.argmax(near))])

# %% [markdown]
# Look at the third board: agent2 stands right below agent1, so "down" would be a
# collision (-1 for agent1) and "up", "left" or "right" would be better. Does your
# agent1 see that? Compare with the middle board, same cell, agent2 far away: the
# last two lines above print how "down" and "up" changed. Is the shift big enough
# to call it "avoid", and how much chance does "down", straight into agent2, keep?
# After a short training run like this one, expect little: the first thing a
# policy learns is the big, frequent reward (new cells, away from the walls); a
# rare situation like this one, where the *other* agent's cell matters, comes much
# later. Chapter 12's agents, trained for longer, have had more chances to learn it.

# %% [markdown]
# ## A policy that sees positions draws a route
#
# Chapter 2 pointed out that agent1 cannot see which cells it has visited: its
# input is two positions. So in a given cell, with agent2 in a given cell, it
# always has the same preferences, whether it is there for the first time or the
# fifth. It cannot learn "go where I have not been"; what it can learn is a
# **route** that, followed from the start, keeps reaching new cells. Draw agent1's
# most likely move in every cell (agent2 parked in its corner) and the route
# appears. The thin grey arrows are the second choice where it is nearly as
# likely. The line follows the most likely move from the start, `[0, 0]`:

# %%
DELTAS = {0: (-1, 0), 1: (0, 1), 2: (1, 0), 3: (0, -1)}  # action -> (d_row, d_col)
route, cell = [(0, 0)], (0, 0)
while True:
    a = int(np.argmax(action_probabilities(module, [cell[0] * 10 + cell[1], 99])))
    cell = (min(max(cell[0] + DELTAS[a][0], 0), 9), min(max(cell[1] + DELTAS[a][1], 0), 9))
    if cell in route:
        break
    route.append(cell)
loop = len(route) - route.index(cell)
print(
    f"from [0, 0] the most likely moves reach {len(route)} different cells, then return to "
    f"{list(cell)} and go round a loop of {loop} cell{'s' if loop != 1 else ''} forever"
    + (" (the top move there walks into a wall: agent1 stays put)" if loop == 1 else "")
)

# %%
fig, ax = plt.subplots(figsize=(4.8, 4.8))
ax.set_xlim(-0.5, 9.5), ax.set_ylim(9.5, -0.5), ax.set_aspect("equal")
ax.set_xticks(range(10)), ax.set_yticks(range(10)), ax.grid(alpha=0.3)
for row in range(10):
    for col in range(10):
        if (row, col) == (9, 9):
            continue
        p = action_probabilities(module, [row * 10 + col, 99])
        best, second = np.argsort(p)[::-1][:2]
        for a, style in (
            (best, dict(color="#1f61b4", width=0.05)),
            (second, dict(color="grey", width=0.02)),
        ):
            if a == second and p[second] < 0.5 * p[best]:
                continue
            dx, dy = arrows[a]
            ax.arrow(
                col - 0.3 * dx,
                row + 0.3 * dy,
                0.6 * dx,
                -0.6 * dy,
                length_includes_head=True,
                head_width=0.2,
                head_length=0.15,
                zorder=3,
                **style,
            )
ax.scatter([9], [9], s=250, c="#d64d27", zorder=3)
ax.scatter([0], [0], s=80, facecolors="none", edgecolors="#1f61b4", zorder=3)
path = route + [cell]
ax.plot(
    [c for _, c in path], [r for r, _ in path], color="#f2a900", linewidth=3, alpha=0.6, zorder=2
)
ax.set_title("agent1's most likely move per cell (agent2 at [9, 9])", fontsize=9)
plt.tight_layout()

# %% [markdown]
# The line printed above the picture says how many different cells the route
# reaches from `[0, 0]` before it comes back to a cell it has passed, and the loop
# it would then go round forever (with agent2 parked in its corner), at -0.5 a
# step (if your route ends at a wall instead, it loops on the spot). The policy
# cannot know it has been there
# before. What gets agent1 out in practice is that the arrows are probabilities:
# acting by **sampling**, it sometimes takes another branch and leaves the loop.
# That is one reason why always taking the top arrow (greedy play) can score far
# less than the stochastic policy PPO trained; chapter 6 measures it.

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


print(
    "first stored observation has",
    len(observations[0]),
    "numbers, ones at",
    np.flatnonzero(observations[0]),
)
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
# - `algo.get_module("p1")` returns the env runner's copy of a module: the
#   actor encoder and the policy head (`pi`), 17,284 weights. The learner's full
#   copy adds the value network (critic encoder and `vf` head): 34,373.
# - agent1 sees positions only, so its policy is a fixed map from positions to
#   moves: a route, not a memory of where it has been.
# - The env's `[own, other]` observation becomes a 200-number one-hot input.
# - `forward_inference` returns `action_dist_inputs`: logits; a softmax gives the
#   action probabilities; argmax acts greedily, sampling explores.
# - Our hand-made pipeline picks exactly the actions the algorithm's own env
#   runner picks.
#
# **Try next:** put agent2 right next to agent1 and look at agent2's module
# (`algo.get_module("p2")`): does it move towards agent1?

# %%
from handson_rl.progress_report import show_progress

show_progress(5)
