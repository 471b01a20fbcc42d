# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 1. Reinforcement learning and RLlib in a nutshell
#
# **Goal of this chapter:** know the handful of words every later chapter uses
# (agent, environment, observation, action, reward, return, policy), see the
# agent-environment loop run in a few lines of Python, and know why we use RLlib
# and where the course is going.
#
# Time: about 20 minutes. Nothing here trains yet.

# %% [markdown]
# ## The agent-environment loop
#
# Supervised learning learns from a fixed table of right answers. Reinforcement
# learning (RL) has no such table. An **agent** acts in an **environment**, and the
# only feedback is a number, the **reward**, that says how good the last step was.
# The agent must find out by trying which actions lead to high rewards, often many
# steps later.
#
# Everything in RL is built around one loop:
#
# ```mermaid
# flowchart LR
#     A["Agent<br/>(policy)"] -- "action a<sub>t</sub>" --> E["Environment"]
#     E -- "observation o<sub>t+1</sub>" --> A
#     E -- "reward r<sub>t+1</sub>" --> A
# ```
#
# 1. The environment shows the agent an **observation** (what the agent can see
#    of the world right now).
# 2. The agent's **policy** picks an **action**.
# 3. The environment applies the action, moves the world on by one step, and
#    returns the next observation and a reward.
# 4. Repeat until the **episode** ends: the task is done (*terminated*) or a time
#    limit ran out (*truncated*).

# %% [markdown]
# ## The loop in code
#
# [Gymnasium](https://gymnasium.farama.org) is the standard Python interface for RL
# environments, and RLlib speaks it. Here is the whole loop for a classic
# single-agent task, *CartPole* (keep a pole balanced on a cart by pushing the
# cart left or right), with an agent that acts at random. CartPole pays +1 for
# every step the pole is still up.
#
# **Predict, then run.** Every chapter asks a few questions like the next one,
# right before the cell that shows the answer. Answer first: click a choice and
# "Check my answer" (or, where no buttons show, type one line such as
# `check("ch1-cartpole-return", "a")` with your letter). The feedback explains
# every choice, and a right answer is kept in your progress file.

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch1-cartpole-return")

# %%
import gymnasium as gym

env = gym.make("CartPole-v1")
observation, info = env.reset(seed=42)  # seeds the environment: the start state
env.action_space.seed(42)  # seeds the random actions below
episode_return, steps = 0.0, 0

while True:
    action = env.action_space.sample()  # a random "policy"
    observation, reward, terminated, truncated, info = env.step(action)
    episode_return += reward
    steps += 1
    if terminated or truncated:
        break

print(f"The episode lasted {steps} steps; return = {episode_return}")

# %% [markdown]
# Three things to notice:
#
# - `reset()` starts an episode and returns the first observation; `step(action)`
#   returns five things: the next observation, the reward, whether the episode
#   ended on its own (`terminated`), whether a time limit cut it off (`truncated`),
#   and an `info` dict for anything extra.
# - Two seeds make the episode reproducible: `reset(seed=42)` fixes the
#   environment's randomness (the pole's starting angle), and
#   `action_space.seed(42)` fixes the random actions. Run the cell twice and you
#   get the same number. Leave out the second and the length changes from run to
#   run: seeding the environment does not seed `action_space.sample()`.
# - A random agent drops the pole quickly. Learning means replacing
#   `env.action_space.sample()` with a policy that gets better with experience.

# %% [markdown]
# ## Your turn: beat the random agent
#
# Before any learning, write a policy yourself. CartPole's observation is four
# numbers: the cart's position, the cart's velocity, the pole's angle (in
# radians; positive means the pole leans to the right) and the pole's angular
# velocity (positive: it is falling to the right). The actions are 0 (push the
# cart left) and 1 (push it right); there is no "do nothing".
#
# Fill in `my_policy(observation)`: return 0 or 1, decided from the observation,
# so that the pole stays up clearly longer than with random pushes. Think of
# balancing a broom on your hand. The check plays the same 20 seeded episodes
# with your policy and with random actions, prints both average lengths and
# passes when yours is at least 1.5 times random play's.


# %%
def my_policy(observation) -> int:
    """0 = push the cart left, 1 = push it right."""
    cart_position, cart_velocity, pole_angle, pole_angular_velocity = observation
    # BEGIN SOLUTION return 0 or 1, decided from the observation
    return 1 if pole_angle > 0 else 0  # push towards the side the pole leans
    # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.tasks.ch01_beat_random import check_ch01_beat_random

check_ch01_beat_random(my_policy)

# %% [markdown]
# No learning was involved: you put your own knowledge of the problem into a
# rule. That works for CartPole, whose four numbers you can reason about; it does
# not scale to problems where nobody knows the rule. RL finds the rule from
# rewards alone, and the rest of the course shows how.

# %% [markdown]
# ## Rewards and returns
#
# The agent does not try to maximise the next reward; it tries to maximise the
# **return**, the sum of the rewards from now to the end of the episode. Most
# algorithms use a *discounted* return, where a reward $k$ steps in the future is
# weighted by $\gamma^k$ with a discount factor $\gamma$ slightly below 1
# (RLlib's default is 0.99):
#
# $$G_t = r_{t+1} + \gamma\, r_{t+2} + \gamma^2 r_{t+3} + \dots$$
#
# Discounting makes "sooner" worth a bit more than "later", and keeps the sum finite
# for very long episodes. A small example: three rewards of +1 followed by a -5.

# %% tags=["concept"]
ask("ch1-discount")

# %%
rewards = [1.0, 1.0, 1.0, -5.0]


def discounted_return(rewards, gamma):
    """Sum of gamma**k * reward_k, k = 0, 1, 2, ..."""
    return sum(gamma**k * r for k, r in enumerate(rewards))


for gamma in (1.0, 0.99, 0.5):
    print(f"gamma = {gamma:<4}  return = {discounted_return(rewards, gamma):+.3f}")

# %% [markdown]
# With $\gamma = 1$ the late penalty wipes out the early gains. With $\gamma = 0.5$
# it still costs something, but much less: three steps ahead it is weighted by
# $0.5^3 = 0.125$, so the -5 counts as -0.625 and takes the +1.75 of the three
# early rewards ($1 + 0.5 + 0.25$) down to +1.125, still positive. The smaller
# $\gamma$, the more short-sighted the agent. The discount is one of the knobs you will meet
# in every algorithm's config. When the course reports an **episode return** it
# means the plain, undiscounted sum over the whole episode: the easiest number to
# read.

# %% [markdown]
# ## Policies
#
# A **policy** maps an observation to an action, or more often to a probability
# for each action, from which the action is sampled. In deep RL the policy is a
# neural network: observation in, one score (*logit*) per action out, turned into
# probabilities with a softmax. Training nudges the network's weights so that
# actions that led to high returns become more likely.
#
# Here is what a policy's output looks like for an environment with four actions;
# chapter 5 pulls exactly these numbers out of a trained RLlib model.

# %%
import numpy as np

logits = np.array([2.0, 0.5, -1.0, 0.0])  # one score per action: up, right, down, left
probs = np.exp(logits) / np.exp(logits).sum()  # softmax
rng = np.random.default_rng(0)
action = rng.choice(len(probs), p=probs)
print("probabilities:", np.round(probs, 3), " sampled action:", action)

# %% [markdown]
# ## Why RLlib?
#
# You could write the loop above and a learning rule yourself, and for CartPole
# that is a fine weekend project. Real problems quickly need more:
#
# - **Algorithms that work**, tuned and tested: PPO, SAC, DQN, APPO, IMPALA and more,
#   behind one config API.
# - **Scale** without rewriting code: RLlib runs on [Ray](https://www.ray.io), so
#   the same script samples from many environment copies in parallel, on your
#   laptop's cores or on a cluster of machines (chapter 10 does it for real).
# - **Multi-agent** as a first-class citizen: several agents in one environment,
#   each with its own policy or sharing one, some learning and some frozen.
#   That is exactly our game.
# - **Tooling**: checkpoints, evaluation, hyperparameter search with Ray Tune,
#   TensorBoard metrics, callbacks.
#
# RLlib's current design (its "new API stack") is built from a few parts you will
# meet one by one:
#
# ```mermaid
# flowchart LR
#     subgraph Algorithm["Algorithm (e.g. PPO), built from a config"]
#         direction LR
#         ER["EnvRunners<br/>step the environments,<br/>collect episodes"] -- "episodes" --> LG["Learners<br/>compute losses,<br/>update the weights"]
#         LG -- "new weights" --> ER
#     end
#     ENV["Environment<br/>(our MultiAgentArena)"] <--> ER
#     M["RLModule<br/>(the neural network)"] -.- ER
#     M -.- LG
# ```
#
# - an **RLModule** holds the neural network(s) of a policy;
# - **EnvRunners** play episodes with the current modules and collect experience;
# - **Learners** turn that experience into weight updates;
# - **connectors** translate between what the environment emits and what the
#   network eats (for example one-hot encoding our grid positions);
# - the **Algorithm** (here: PPO) ties it together; you build it from a config
#   object and call `train()`.

# %% [markdown]
# ## The game we will play: MultiAgentArena
#
# The whole course grows from one small two-agent game. On a 10 x 10 grid,
# **agent1** (blue, starting top-left) earns +1.0 for each cell it visits for the
# first time and -0.5 for every other step; **agent2** (orange, starting
# bottom-right) earns +1.0 whenever the two collide, whoever bumps into whom
# (which costs agent1 -1.0), and -0.1 otherwise. An episode lasts 100 steps. One explores, the other chases:
# two agents, two goals, learning at the same time.
#
# The game lives in this course's Python package, `handson_rl`, so every
# chapter imports the same tested code. Here is its start position:

# %%
from handson_rl.arena import MultiAgentArena
from handson_rl.arena.render import show_frame

arena = MultiAgentArena({"render_mode": "rgb_array"})
arena.reset(seed=0)
show_frame(arena.render(), scale=2)

# %% [markdown]
# ## Course map
#
# ```mermaid
# flowchart TD
#     C1["1 RL and RLlib in a nutshell"] --> C2["2 The environment and its spaces<br/><b>Exercise 1</b>"]
#     C2 --> C3["3 Training PPO"]
#     C3 --> C4["4 Going multi-agent"]
#     C4 --> C5["5 Looking inside an algorithm"]
#     C5 --> C6["6 Save, restore, evaluate"]
#     C6 --> C7["7 Ray Tune sweeps<br/><b>Exercise 2</b>"]
#     C7 --> C8["8 Callbacks and custom metrics<br/><b>Exercise 3</b>"]
#     C8 --> C9["9 Custom models"]
#     C9 --> C10["10 Architecture and scaling"]
#     C10 --> C11["11 Debugging"]
#     C11 --> C12["12 Did it learn?"]
# ```
#
# | Part | Chapters | You will be able to |
# |---|---|---|
# | Foundations | 1-2 | describe an RL problem and drive a multi-agent environment by hand |
# | Training | 3-6 | train PPO on two agents, read its results, look inside its network, save and restore it |
# | Experiments | 7-8 | run sweeps with Ray Tune and log your own metrics to TensorBoard |
# | Going further | 9-12 | plug in your own network, scale out to a Ray cluster, debug, and judge whether it learned |
#
# Each chapter is a notebook in `notebooks/`; the exercises have empty cells for
# you to fill in, and `solutions/` holds the same notebooks solved.

# %% [markdown]
# ## Recap
#
# - RL is a loop: observe, act, get a reward, repeat until the episode ends.
# - The agent maximises the **return**, the (discounted) sum of rewards.
# - A **policy** maps observations to action probabilities; deep RL makes it a
#   neural network and trains it.
# - RLlib gives you the algorithms, the scaling (through Ray), multi-agent support
#   and the tooling around them.
#
# **Try next:** change `gamma` in the discounted-return cell and predict the result
# before you run it; run the CartPole cell with another seed; make `my_policy`
# also use how fast the pole is falling (`pole_angular_velocity`) and watch the
# average length the check prints. Then open chapter 2, where you drive
# MultiAgentArena by hand.

# %%
from handson_rl.progress_report import show_progress

show_progress(1)
