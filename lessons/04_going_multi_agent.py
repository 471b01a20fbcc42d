# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 4. Going multi-agent
#
# **Goal of this chapter:** decide which agent is controlled by which network.
# You will train one *shared* policy for both agents and see why that is a poor
# fit for this game, give each agent its own module through the **mapping
# function**, give one module its own learning rate, and freeze one agent while
# the other learns.
#
# Time: about 20 minutes, of which about 3 minutes are training.

# %%
import ray
from ray.rllib.algorithms.ppo import PPOConfig

from handson_rl.budget import pick
from handson_rl.training.plotting import plot_returns
from handson_rl.training.loop import train
from handson_rl.training.quiet import quiet_ray
from handson_rl.training.config import arena_ppo_config

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False)
ITERATIONS = pick(full=10, smoke=1)  # per training phase below

# %% [markdown]
# ## Agents, modules and the mapping function
#
# RLlib separates two ideas that the word "policy" mixes up:
#
# - **agents** are the actors in the environment: `agent1` and `agent2`, named by
#   the env;
# - **modules** (RLModules) are the neural networks that choose actions and learn:
#   named by you in the config.
#
# The **mapping function** connects them: RLlib calls it with an agent id (and
# the current episode) and it returns the id of the module that should act for
# that agent. Any mapping is allowed: one module per agent, one for all, or a
# different module each episode (handy for self-play).
#
# ```mermaid
# flowchart LR
#     a1["agent1"] -->|"mapping function"| m1["module p1"]
#     a2["agent2"] -->|"mapping function"| m2["module p2"]
# ```

# %% [markdown]
# ## First try: one shared policy
#
# The simplest setup maps both agents to the same module. Both agents'
# experiences then train one network:

# %%
shared_config = arena_ppo_config(seed=0).multi_agent(
    policies={"shared"},
    policy_mapping_fn=lambda agent_id, episode, **kwargs: "shared",
)
shared_algo = shared_config.build_algo()
shared_history = train(shared_algo, 2 * ITERATIONS, label="shared policy")
shared_algo.stop()

plot_returns(shared_history, title="One shared policy for both agents");

# %% [markdown]
# Both curves may well go up, and agent1's can look as good as with a module of
# its own. Why is sharing still wrong here? Look at what the network sees:
# `[own cell, other agent's cell]`. "I am on cell 44, the other one is on cell
# 45" is *one* input, so it gets *one* answer, whoever asks. The explorer should
# not care much where the chaser is; the chaser should move towards the
# explorer. The shared network cannot tell the two roles apart, and agent1's
# rewards (+1 for each new cell, -0.5 otherwise) are much bigger than agent2's
# (-0.1 per step, +1 per catch), so the one network is pulled mostly towards
# agent1's job. (Sharing works well when agents have the same goal, or when the
# observation says which role an agent plays.)

# %% [markdown]
# ## One module per agent
#
# The course's config already does the right thing: two modules, `p1` and `p2`,
# and a mapping function that sends each agent to its own:

# %%
import inspect

from handson_rl.training.config import agent_to_module

print(inspect.getsource(agent_to_module))
print({agent: agent_to_module(agent) for agent in ("agent1", "agent2")})

# %% [markdown]
# A mapping function that returns a module id nobody declared is a common
# mistake; the course's raises a clear error instead of letting RLlib fail later:

# %%
try:
    agent_to_module("agent3")
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## Per-module settings: a learning rate for p1 only
#
# Each module can override parts of the algorithm config. The 2021 version of this
# course gave policy 1 its own, smaller learning rate of 0.0002; here is how that
# looks today, with `PPOConfig.overrides(...)` per module id:

# %%
per_module_config = arena_ppo_config(seed=0).rl_module(
    algorithm_config_overrides_per_module={"p1": PPOConfig.overrides(lr=0.0002)},
)
for module_id in ("p1", "p2"):
    print(module_id, "learning rate:", per_module_config.get_config_for_module(module_id).lr)

# %% [markdown]
# The learners report the learning rate they actually used, per module, in every
# result:

# %%
algo = per_module_config.build_algo()
result = algo.train()
for module_id in ("p1", "p2"):
    print(module_id, "learner's lr:", result["learners"][module_id]["default_optimizer_learning_rate"])
algo.stop()

# %% [markdown]
# ## Choosing which modules train
#
# `policies_to_train` lists the modules that learn; the others keep their weights
# and only act. Freezing agent2 gives agent1 a fixed opponent: a randomly
# initialised network, which behaves almost like a random agent. We check that
# p2's weights really stay put:

# %%
import torch

frozen_config = arena_ppo_config(seed=0).multi_agent(policies_to_train=["p1"])
frozen_algo = frozen_config.build_algo()


def learner_weights(algorithm, module_id):
    """The module's weights as the learner holds them (the copy that trains)."""
    state = algorithm.learner_group.get_weights(module_ids=[module_id])[module_id]
    return {name: torch.as_tensor(value).clone() for name, value in state.items()}


before = {m: learner_weights(frozen_algo, m) for m in ("p1", "p2")}
frozen_history = train(frozen_algo, ITERATIONS, label="p2 frozen")
after = {m: learner_weights(frozen_algo, m) for m in ("p1", "p2")}
for module_id in ("p1", "p2"):
    same = all(torch.equal(before[module_id][k], after[module_id][k]) for k in before[module_id])
    print(f"{module_id}'s weights unchanged after training: {same}")
losses = frozen_algo.train()["learners"]
print("modules with a policy loss this iteration:", sorted(m for m in losses if "policy_loss" in losses[m]))
frozen_algo.stop()

# %% [markdown]
# `p1` changed, `p2` did not, and only `p1` reports a loss: `p2` is not trained
# at all. (We read the weights from the **learner**, the copy that trains. The
# env runners hold inference copies that RLlib overwrites with the learner's
# weights after every iteration, so an env runner's copy is not the place to
# check whether a module trains.)

# %% [markdown]
# ## Both agents learning: 10 + 10 iterations
#
# Back to the course setup, both modules learning. We train 10 iterations, look
# at the per-agent returns, then train 10 more on the same algorithm: training
# simply continues where it stopped.

# %%
algo = arena_ppo_config(seed=0).build_algo()
history = train(algo, ITERATIONS, label="first 10")


def last_returns(rows, n=3):
    rows = [r for r in rows if r["agent1"] == r["agent1"]][-n:]  # rows with finished episodes
    return {agent: round(float(sum(r[agent] for r in rows) / max(len(rows), 1)), 1) for agent in ("agent1", "agent2")}


print("after the first phase:", last_returns(history))

# %%
history = train(algo, ITERATIONS, label="next 10", history=history)
print("after the second phase:", last_returns(history))

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 4))
plot_returns(history, ax=ax, title="Per-agent returns: one module each vs one shared module")
plot_returns(shared_history, ax=ax, label_prefix="shared: ", linestyle=":");
ax.axvline(history[ITERATIONS - 1]["env_steps"], color="grey", linestyle="--", linewidth=1)
ax.text(history[ITERATIONS - 1]["env_steps"], ax.get_ylim()[1], " 10 + 10", va="top", fontsize=8);

# %% [markdown]
# Side by side, over the last iterations of each run (per-iteration means, so
# expect noise of a few points):

# %%
shared_last = last_returns(shared_history, n=5)
separate_last = last_returns(history, n=5)
print(f"{'':>18} {'agent1':>8} {'agent2':>8}")
print(f"{'one shared module':>18} {shared_last['agent1']:>+8.1f} {shared_last['agent2']:>+8.1f}")
print(f"{'a module each':>18} {separate_last['agent1']:>+8.1f} {separate_last['agent2']:>+8.1f}")

# %% [markdown]
# Over 20 iterations the two setups' returns are close, and which one comes out
# ahead changes from run to run: in one of our runs agent1 scored more with the
# shared module, in another less, and agent2 was within a point or two either
# way. Returns alone, this early, cannot show the problem; the reason to give each
# role its own module is the one above: one network cannot answer the same
# observation in two opposite ways, and the longer training goes, the more the
# roles need to differ. Chapter 12 shows how to measure what each agent really
# learned, by swapping in random opponents.

# %%
algo.stop()
ray.shutdown()

# %% [markdown]
# ## Recap
#
# - **Agents** live in the env; **modules** are the networks; the **mapping
#   function** `(agent_id, episode, **kwargs) -> module_id` connects them.
# - One shared module makes sense when agents want the same thing; here the roles
#   are opposite, so each agent gets its own module.
# - `config.rl_module(algorithm_config_overrides_per_module={...})` gives a module
#   its own settings, such as a learning rate.
# - `config.multi_agent(policies_to_train=[...])` chooses which modules learn; the
#   others act with fixed weights.
# - Calling `train()` again continues training where it stopped.
#
# **Try next:** freeze `p1` instead and watch agent2 learn to chase a predictable
# agent1; give `p2` a larger learning rate than `p1`.
