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
# You will train one *shared* policy for both agents, see what one network for
# two opposite roles can and cannot do (and what the returns really show), give
# each agent its own module through the **mapping function**, give one module its own learning rate, and freeze one agent while
# the other learns.
#
# Time: about 20 minutes, of which about a minute is training (on a laptop with
# nothing else running).

# %%
# How much this notebook trains: the full course for you, a short run in CI.
# SEED is the course's seed: 0, unless you set COURSE_SEED before starting Jupyter.
from handson_rl.budget import pick, seed

ITERATIONS = pick(full=10, smoke=1)  # per training phase below
SEED = seed()

# %%
import ray
from ray.rllib.algorithms.ppo import PPOConfig

from handson_rl.tools.plotting import plot_returns
from handson_rl.training.config import arena_ppo_config
from handson_rl.training.loop import train
from handson_rl.training.quiet import quiet_ray

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
print("Ray is running with", int(ray.cluster_resources()["CPU"]), "CPUs")

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
# experiences then train one network. The course keeps this config in a function
# (`bench/seed_ranges.py` trains the same one over many seeds); its source:

# %%
import inspect

from handson_rl.training.measures import shared_module_config

print(inspect.getsource(shared_module_config))
shared_config = shared_module_config(seed=SEED)
shared_algo = shared_config.build_algo()
shared_history = train(shared_algo, 2 * ITERATIONS, label="shared policy")
shared_module = shared_algo.get_module("shared")  # keep the trained network for later
shared_algo.stop()

plot_returns(shared_history, title="One shared policy for both agents")

# %% [markdown]
# Look at the two curves: does each agent's return rise, and does it stay up? Is
# sharing a problem, then? Before reading on:

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch4-shared-input")

# %% [markdown]
# Look at what the network sees:
# `[own cell, other agent's cell]`. "I am on cell 44, the other one is on cell
# 45" is *one* input, so it gets *one* answer, whoever asks. But the two roles
# want opposite things there: the chaser should step right, onto the explorer
# (+1.0 for it); the explorer should step anywhere *but* right (a collision costs
# it -1.0). A shared network cannot tell the roles apart. We will look at exactly
# this input once we have a module per agent to compare with. (Sharing works
# well when agents have the same goal, or when the observation says which role
# an agent plays.)

# %% [markdown]
# ## One module per agent
#
# The course's config already does the right thing: two modules, `p1` and `p2`,
# and a mapping function that sends each agent to its own:

# %%
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
per_module_config = arena_ppo_config(seed=SEED).rl_module(
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
    print(
        module_id, "learner's lr:", result["learners"][module_id]["default_optimizer_learning_rate"]
    )
algo.stop()

# %% [markdown]
# ## Choosing which modules train
#
# `policies_to_train` lists the modules that learn; the others keep their weights
# and only act. Freezing agent2 gives agent1 a fixed opponent: a randomly
# initialised network. That is not the same as a random agent: in each cell the
# untrained network has its own arbitrary preferences, the same every time it
# comes back there (chapter 6 measures how differently an untrained agent and a
# random one score). Before we check:

# %% tags=["concept"]
ask("ch4-frozen")

# %%
import torch

frozen_config = arena_ppo_config(seed=SEED).multi_agent(policies_to_train=["p1"])
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
print(
    "modules with a policy loss this iteration:",
    sorted(m for m in losses if "policy_loss" in losses[m]),
)
frozen_algo.stop()

# %% [markdown]
# `p1` changed, `p2` did not, and only `p1` reports a loss: `p2` is not trained
# at all. (We read the weights from the **learner**, the copy that trains. The
# env runners hold inference copies that RLlib overwrites with the learner's
# weights after every iteration, so an env runner's copy is not the place to
# check whether a module trains.)

# %% [markdown]
# ## Your turn: a mapping function for a small league
#
# Self-play setups often keep frozen earlier versions of a player around, so that
# the learning one does not forget how to beat them. Write the mapping function
# for this layout of three modules:
#
# - agent1 always plays with the module `"explorer"`;
# - agent2 plays with `"chaser"` (the one that trains) in about half of the
#   episodes, and with `"chaser_old"` (a frozen copy) in the other half;
# - which chaser agent2 gets is decided by the **episode**, so that it keeps one
#   module for a whole episode. Every episode RLlib passes in has a unique id
#   string, `episode.id_`; `hash(episode.id_) % 2` splits episodes into two halves.
#
# RLlib calls it as `map_agent(agent_id, episode)`; give it a `**kwargs` too, as
# RLlib's own examples do, for arguments later versions may add.


# %%
def map_agent(agent_id, episode, **kwargs):
    """The module for `agent_id` in `episode`: explorer, chaser or chaser_old."""
    # BEGIN SOLUTION: your turn: return "explorer" for agent1; "chaser" or "chaser_old" for agent2, chosen from episode.id_
    if agent_id == "agent1":
        return "explorer"
    return "chaser" if hash(episode.id_) % 2 == 0 else "chaser_old"
    # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.tasks.ch04_mapping import check_mapping

check_mapping(map_agent)

# %% [markdown]
# The config for this league declares the three modules, trains two of them and
# plugs in your function. Nothing needs training to see the mapping at work:
# RLlib's episode objects call the mapping function themselves, once per agent,
# when they first need an agent's module (`module_for`), and keep the answer for
# the rest of the episode:

# %% tags=["needs-solution"]
from collections import Counter

from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

league_config = arena_ppo_config(seed=0).multi_agent(
    policies=["explorer", "chaser", "chaser_old"],
    policy_mapping_fn=map_agent,
    policies_to_train=["explorer", "chaser"],  # chaser_old stays frozen
)
episodes = [
    MultiAgentEpisode(agent_to_module_mapping_fn=league_config.policy_mapping_fn)
    for _ in range(1000)
]
for agent in ("agent1", "agent2"):
    print(agent, dict(Counter(episode.module_for(agent) for episode in episodes)))

# %% [markdown]
# ## Both agents learning: 10 + 10 iterations
#
# Back to the course setup, both modules learning. We train 10 iterations, look
# at the per-agent returns, then train 10 more on the same algorithm: training
# simply continues where it stopped.

# %%
from handson_rl.training.measures import last_returns  # mean of the last 3 iterations with episodes
from handson_rl.verdicts import your_run

algo = arena_ppo_config(seed=SEED).build_algo()
history = train(algo, ITERATIONS, label="first 10")
first_phase = last_returns(history)
print("after the first phase:", first_phase)
for agent, value in first_phase.items():
    print("   ", your_run(f"ch04.phase1.{agent}", value, label=agent))

# %%
history = train(algo, ITERATIONS, label="next 10", history=history)
second_phase = last_returns(history)
print("after the second phase:", second_phase)
for agent, value in second_phase.items():
    print("   ", your_run(f"ch04.phase2.{agent}", value, label=agent))

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 4))
plot_returns(history, ax=ax, title="Per-agent returns: one module each vs one shared module")
plot_returns(shared_history, ax=ax, label_prefix="shared: ", linestyle=":")
ax.axvline(history[ITERATIONS - 1]["env_steps"], color="grey", linestyle="--", linewidth=1)
ax.text(history[ITERATIONS - 1]["env_steps"], ax.get_ylim()[1], " 10 + 10", va="top", fontsize=8)

# %% [markdown]
# Side by side, over the last 5 iterations of each run. Your two runs are one
# draw each; whether sharing makes a difference is a question for many seeds, so
# the verdict lines compare the two setups over the seeds `bench/seed_ranges.py`
# trained, with the course's one rule (`verdicts.compare`: a difference counts
# only when it is larger than twice its standard error).

# %%
from handson_rl.verdicts import compare, seed_range

shared_last = last_returns(shared_history, n=5)
separate_last = last_returns(history, n=5)
print(f"{'':>18} {'agent1':>8} {'agent2':>8}")
print(f"{'one shared module':>18} {shared_last['agent1']:>+8.1f} {shared_last['agent2']:>+8.1f}")
print(f"{'a module each':>18} {separate_last['agent1']:>+8.1f} {separate_last['agent2']:>+8.1f}")
for agent in ("agent1", "agent2"):
    print(your_run(f"ch04.shared.{agent}", shared_last[agent], label=f"one shared module, {agent}"))
    print(your_run(f"ch04.separate.{agent}", separate_last[agent], label=f"a module each, {agent}"))
print()
for agent in ("agent1", "agent2"):
    separate, shared = seed_range(f"ch04.separate.{agent}"), seed_range(f"ch04.shared.{agent}")
    print(
        compare(
            separate.values,
            shared.values,
            names=("a module each", "one shared module"),
            what=f"{agent}, last 5 of 20 iterations, over {separate.n} seeds",
        )
    )

# %% [markdown]
# Over the seeds, agent1 ended {{seeds:ch04.separate.agent1}} with a module of its
# own and {{seeds:ch04.shared.agent1}} with the shared one; agent2 ended
# {{seeds:ch04.separate.agent2}} and {{seeds:ch04.shared.agent2}}. The verdict
# lines say whether those differences are larger than the seed-to-seed noise.
# One run's table cannot say it: runs with several env runners are not
# repeatable step for step, and each row is one run's mean over only 5
# iterations. And returns mix up many things: agent1's return also depends on
# the agent2 it met, and that is a different agent2 in each setup. Returns after
# 20 iterations do not show *why* the setups differ, or do not. Look inside.

# %% [markdown]
# ## The conflict, seen directly
#
# The conflict itself is easy to see: give the shared module and the two
# separate modules the *same* input, "I am on cell 44, the other agent is on cell
# 45, right next to me", and compare what they want to do. Here "right" means
# stepping onto the other agent:

# %%
import numpy as np

from handson_rl.arena import ACTION_NAMES
from handson_rl.training.policies import action_probabilities

p1_module, p2_module = algo.get_module("p1"), algo.get_module("p2")
candidates = {
    "p1 (agent1's own)": p1_module,
    "p2 (agent2's own)": p2_module,
    "shared (both)": shared_module,
}
print(f"{'input [44, 45]':>20}" + "".join(f"{name:>8}" for name in ACTION_NAMES))
short = {"p1 (agent1's own)": "p1", "p2 (agent2's own)": "p2", "shared (both)": "shared"}
for name, module in candidates.items():
    probs = action_probabilities(module, [44, 45])
    print(f"{name:>20}" + "".join(f"{p:>8.2f}" for p in probs))
for name, module in candidates.items():  # each module's favourite move, against the seeds
    probs = action_probabilities(module, [44, 45])
    best = int(np.argmax(probs))
    key = f"ch04.input44.{short[name]}.{ACTION_NAMES[best]}"
    print(your_run(key, probs[best], label=f"{short[name]} on {ACTION_NAMES[best]!r}", fmt=".2f"))

# %% [markdown]
# One input is one example. Over every placement where the agents stand side by
# side (360 of them on a 10 x 10 board), how likely is each module to step onto
# the other agent? For agent1 that move always costs -1.0; for agent2 it is the
# only way to score.

# %%
from handson_rl.training.measures import step_onto_other

print(inspect.getsource(step_onto_other))
for name, module in candidates.items():
    onto = step_onto_other(module)
    print(
        f"{name:>20}: steps onto the other agent with probability {onto:.2f}   "
        + your_run(f"ch04.onto.{short[name]}", onto, fmt=".2f")
    )
print(f"{'uniform random':>20}: {0.25:.2f}")

# %% [markdown]
# Read the printout as a question: do p1 (the explorer) and p2 (the chaser)
# want different moves on this input? Over the seeds, p1's probability of
# stepping "left", away from agent2, was {{seeds:ch04.input44.p1.left:.2f}}, and
# p2's of stepping "right", onto agent1, {{seeds:ch04.input44.p2.right:.2f}}: on
# one input the trained modules differ a lot from seed to seed, so your printout
# is the thing to read. Whatever the two roles want, the shared module has to
# answer both with one distribution. But one input is one example. The average
# over all side-by-side placements is steadier: over the seeds the chance of
# stepping onto the other agent was {{seeds:ch04.onto.p1:.2f}} for p1,
# {{seeds:ch04.onto.p2:.2f}} for p2 and {{seeds:ch04.onto.shared:.2f}} for the
# shared module, against 0.25 for a random mover (one move in four). Compare
# your lines with the random one: has either role learned to *react* to the
# other agent?
#
# A wider question, over *every* input a module can see (all 9,900 placements of
# the two agents): how much probability does each module put on moves that bring
# it closer to the other agent? That is the chaser's job and none of the
# explorer's business. A uniformly random mover scores the baseline below:

# %%
import torch
from ray.rllib.core.columns import Columns

own, other = [a.ravel() for a in np.meshgrid(np.arange(100), np.arange(100), indexing="ij")]
own, other = own[own != other], other[own != other]  # 9,900 placements
inputs = np.zeros((len(own), 200), dtype=np.float32)
inputs[np.arange(len(own)), own] = 1.0
inputs[np.arange(len(own)), 100 + other] = 1.0
# For each placement and move: does the move reduce the distance to the other agent?
d_row, d_col = other // 10 - own // 10, other % 10 - own % 10
toward = np.stack([d_row < 0, d_col > 0, d_row > 0, d_col < 0], axis=1)  # up, right, down, left


def share_toward(module):
    with torch.no_grad():
        logits = module.forward_inference({Columns.OBS: torch.from_numpy(inputs)})[
            Columns.ACTION_DIST_INPUTS
        ]
    probs = torch.softmax(logits, -1).numpy()
    return float((probs * toward).sum(axis=1).mean())


from handson_rl.training import measures

# The course's copy (bench/seed_ranges.py measures with it) computes the same:
assert abs(measures.share_toward(p1_module) - share_toward(p1_module)) < 1e-6
for name, module in candidates.items():
    share = share_toward(module)
    print(
        f"{name:>20}: {share:.2f} of its probability on moves towards the other agent   "
        + your_run(f"ch04.toward.{short[name]}", share, fmt=".2f")
    )
print(f"{'uniform random':>20}: {toward.mean(axis=1).mean():.2f}")

# %% [markdown]
# Maybe 20 iterations are too few for the roles to show. Chapter 12 ships modules
# trained for 80 iterations with the course's settings; the same two measures
# for them:

# %%
from handson_rl.training.pretrained import load_pretrained

pretrained = load_pretrained()
for name, module in (
    ("p1, 80 iterations", pretrained["p1"]),
    ("p2, 80 iterations", pretrained["p2"]),
):
    print(
        f"{name:>20}: onto the other {step_onto_other(module):.2f}, towards it {share_toward(module):.2f}"
    )

# %% [markdown]
# What the evidence says: compare each module's share with the uniform line.
# Over the seeds, after 20 iterations, p1 put {{seeds:ch04.toward.p1:.2f}} of its
# probability on moves towards the other agent, p2 {{seeds:ch04.toward.p2:.2f}}
# and the shared module {{seeds:ch04.toward.shared:.2f}}. Where do those ranges
# lie against the uniform line, and does p2 (whose job is to close in) sit
# clearly above p1 (who should keep away)? Look at the pre-trained pair too: a
# gap of a few hundredths in one run is not a learned chase. Each role mostly
# learns a route from its own position (chapter 5 draws agent1's); agent2
# catches agent1 where their routes cross. Where the two roles' shares overlap
# with each other and with the uniform line, the roles have little to disagree
# about yet, and the conflict on `[44, 45]` is an example, not the rule.
#
# We still give each role its own module. One network cannot answer one input in
# two ways, so sharing caps what the roles can become once they do react to each
# other (as on `[44, 45]` above); separate modules can have their own settings and
# be frozen one at a time, as the sections above did. That is a design argument;
# whether it is also a measured win at 20 iterations, the verdict lines over the
# seeds say. For a sharper answer: longer training, and each setup against a
# fixed opponent (chapter 12's method).

# %%
algo.stop()
ray.shutdown()

# %% [markdown]
# ## Recap
#
# - **Agents** live in the env; **modules** are the networks; the **mapping
#   function** `(agent_id, episode, **kwargs) -> module_id` connects them.
# - One shared module makes sense when agents want the same thing. Here the roles
#   are opposite, so each agent gets its own module. Whether sharing costs return
#   at this training length is a question for many seeds (the verdict lines),
#   not for one run's returns.
# - `config.rl_module(algorithm_config_overrides_per_module={...})` gives a module
#   its own settings, such as a learning rate.
# - `config.multi_agent(policies_to_train=[...])` chooses which modules learn; the
#   others act with fixed weights.
# - Calling `train()` again continues training where it stopped.
#
# **Try next:** train `league_config` for a few iterations and compare the
# returns of `chaser` and `chaser_old` (`module_episode_returns_mean`); freeze
# `p1` instead and watch agent2 learn to chase an agent1 that never learns
# (chapter 6 shows how an untrained agent1 plays); give `p2` a
# larger learning rate than `p1`; run the shared-vs-separate comparison with
# other seeds (`arena_ppo_config(seed=1)`, ...) and see how much the returns move.

# %%
from handson_rl.progress_report import show_progress

show_progress(4)
