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
from handson_rl.plotting import plot_returns
from handson_rl.progress import train
from handson_rl.quiet import quiet_ray
from handson_rl.training import arena_ppo_config

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
# Why is this a poor fit? Look at what each agent observes: `[own cell, other
# agent's cell]`. For a shared network, "I am on cell 44, the other one is on
# cell 45" is *one* input, so it gets *one* answer, whoever is asking. But the
# explorer should not care much where the chaser is, and the chaser should move
# towards the explorer. The shared network has no way to tell the two roles
# apart, so it must compromise between opposite goals. (Sharing works well when
# agents have the same goal, or when the observation says which role an agent
# plays.)

# %% [markdown]
# ## One module per agent
#
# The course's config already does the right thing: two modules, `p1` and `p2`,
# and a mapping function that sends each agent to its own:

# %%
import inspect

from handson_rl.training import agent_to_module

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


def p2_weights(algorithm):
    return {k: v.clone() for k, v in algorithm.get_module("p2").state_dict().items()}


before = p2_weights(frozen_algo)
frozen_history = train(frozen_algo, ITERATIONS, label="p2 frozen")
after = p2_weights(frozen_algo)
unchanged = all(torch.equal(before[k], after[k]) for k in before)
print("p2's weights unchanged after training:", unchanged)
print("modules in the learner's results:", sorted(k for k in frozen_algo.train()["learners"] if k.startswith("p")))
frozen_algo.stop()

# %% [markdown]
# Only `p1` shows up among the learners: `p2` is not trained at all.

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
    return {agent: round(sum(r[agent] for r in rows) / max(len(rows), 1), 1) for agent in ("agent1", "agent2")}


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
