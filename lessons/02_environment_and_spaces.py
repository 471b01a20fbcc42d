# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 2. The environment and its spaces
#
# **Goal of this chapter:** describe what an agent can see and do with gymnasium
# *spaces*, drive the two-agent MultiAgentArena by hand through RLlib's multi-agent
# API, watch an episode, and then, in **Exercise 1**, write the environment loop
# yourself.
#
# Time: about 25 minutes, including the exercise. Nothing here trains; all the
# cells together run in under half a minute.

# %%
# How much this notebook does: the full course for you, a short run in CI.
from handson_rl.budget import pick

FPS, RANDOM_EPISODES = pick(full=(12, 2000), smoke=(0, 50))

# %% [markdown]
# ## Spaces: the shape of observations and actions
#
# Before any learning, an algorithm must know what the agent will observe and
# which actions it may take, so it can build a network with the right inputs and
# outputs. Gymnasium describes both with **spaces**. Each space can `sample()` a
# random element and check with `contains()` whether a value belongs to it. Five
# kinds cover almost everything:

# %%
import numpy as np
from gymnasium import spaces

examples = {
    "Discrete(4)": spaces.Discrete(4, seed=0),
    "MultiDiscrete([100, 100])": spaces.MultiDiscrete([100, 100], seed=0),
    "Box(-1, 1, (3,))": spaces.Box(-1.0, 1.0, shape=(3,), dtype=np.float32, seed=0),
    "Tuple(Discrete(2), Box(0, 5, (2,)))": spaces.Tuple(
        (spaces.Discrete(2), spaces.Box(0.0, 5.0, shape=(2,), dtype=np.float32)), seed=0
    ),
    "Dict(position=..., fuel=...)": spaces.Dict(
        {"position": spaces.Discrete(100), "fuel": spaces.Box(0.0, 1.0, shape=(1,))}, seed=0
    ),
}
for name, space in examples.items():
    print(f"{name:38s} sample: {space.sample()}")

# %% [markdown]
# - **Discrete(n)**: one of `n` choices, `0 ... n-1`. Typical for actions such as
#   "up / right / down / left".
# - **MultiDiscrete([n1, n2, ...])**: several independent choices at once, an
#   integer array. Our agents observe two grid cells this way.
# - **Box(low, high, shape)**: real-valued arrays (positions, velocities, pixels).
# - **Tuple** and **Dict**: combinations of other spaces, by position or by name.
#
# `contains()` is how you (and RLlib's checks) catch a value that does not fit:

# %%
move = spaces.Discrete(4)
print("3 in Discrete(4)?", move.contains(3))
print("4 in Discrete(4)?", move.contains(4))
cells = spaces.MultiDiscrete([100, 100])
print("[12, 99] in MultiDiscrete([100, 100])?", cells.contains(np.array([12, 99])))
print("[12, 100] in MultiDiscrete([100, 100])?", cells.contains(np.array([12, 100])))

# %% [markdown]
# Neural networks need flat vectors of numbers. Some spaces map to one naturally
# (a `Box`); discrete ones are usually **one-hot encoded**: cell 12 of 100
# becomes a vector of 100 zeros with a single 1 at index 12. `flatdim` tells the
# size of that vector. Remember the 200 below: it is the input size of our
# agents' networks in chapter 3.

# %%
for name, space in examples.items():
    print(f"{name:38s} flattened size: {spaces.flatdim(space)}")

# %% [markdown]
# ## MultiAgentArena
#
# The game from chapter 1 is an RLlib `MultiAgentEnv`. Its docstring follows
# gymnasium's layout (Description, Action Space, Observation Space, Rewards,
# Starting State, Episode End, Arguments); `help(MultiAgentArena)` prints all of
# it. The key facts:
#
# | | agent1 (explorer) | agent2 (chaser) |
# |---|---|---|
# | starts at | `[0, 0]`, top-left | `[9, 9]`, bottom-right |
# | actions | `Discrete(4)`: 0 up, 1 right, 2 down, 3 left | same |
# | observes | `[own cell, agent2's cell]` | `[own cell, agent1's cell]` |
# | reward per step | -1.0 on a collision, else +1.0 for a new cell, else -0.5 | +1.0 on a collision, else -0.1 |
#
# A cell's index is `row * width + col`, so on the 10 x 10 board `[3, 7]` is cell
# 37. An episode lasts 100 steps. Each step both agents move; a coin flip decides
# whose move happens first. Moving into the other agent's cell is a **collision**:
# the move is cancelled. Moving into a wall leaves the agent where it is.

# %%
from handson_rl.arena import ACTION_NAMES, MultiAgentArena

env = MultiAgentArena()
print("agents:", env.possible_agents)
for agent in env.possible_agents:
    print(
        f"{agent}: observation space {env.get_observation_space(agent)}, "
        f"action space {env.get_action_space(agent)}"
    )
print("actions:", dict(enumerate(ACTION_NAMES)))

# %% [markdown]
# The board can be changed through the `env_config` dict, the same dict RLlib will
# pass to the env later. A value that makes no sense is refused with a message
# that says what is wrong, rather than quietly producing a strange game:

# %%
from handson_rl.arena import ArenaConfigError

small = MultiAgentArena({"width": 5, "height": 4, "timestep_limit": 20})
print("5 x 4 board, observation space:", small.get_observation_space("agent1"))

try:
    MultiAgentArena({"widht": 5})
except ArenaConfigError as err:
    print("ArenaConfigError:", err)

# %% [markdown]
# ## Driving the environment by hand
#
# RLlib's multi-agent API is gymnasium's, with one twist: everything is a **dict
# keyed by agent id**. `reset()` returns an observation per agent (and an info dict
# per agent):

# %%
obs, infos = env.reset(seed=0)
obs

# %% [markdown]
# agent1 stands on cell 0 and sees agent2 on cell 99; agent2 sees the same two
# cells the other way round. `step()` takes an **action dict**, one action per
# agent, and returns five dicts:

# %%
obs, rewards, terminateds, truncateds, infos = env.step({"agent1": 1, "agent2": 0})
print("observations:", obs)
print("rewards:     ", rewards)
print("terminateds: ", terminateds)
print("truncateds:  ", truncateds)
print("infos:       ", infos)

# %% [markdown]
# agent1 moved right onto a new cell (+1.0); agent2 moved up and caught nobody
# (-0.1). Note the extra key **`"__all__"`** in `terminateds` and `truncateds`: it
# says whether the episode is over *for everyone*. RLlib looks at it to decide
# when to reset, and so will your loop.
#
# **Predict, then run.** Each chapter asks a few questions like the one below,
# right before the cell that shows the answer. Answer first: click a choice and
# "Check my answer", or, where no buttons show (outside JupyterLab), type one
# line such as `check("ch2-truncated", "a")` with your letter. The feedback
# explains every choice, right or wrong, and a right answer is kept in your
# progress file (the end of each chapter prints it).

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch2-truncated")

# %% [markdown]
# Run a fresh arena to the end of its 100 steps and look at the flags of the last
# two steps:

# %%
clock_env = MultiAgentArena()
clock_env.reset(seed=0)
for step in range(1, 101):
    _, _, terminateds, truncateds, _ = clock_env.step({"agent1": 1, "agent2": 3})
    if step >= 99:
        print(
            f"after step {step}: terminateds {terminateds}\n               truncateds  {truncateds}"
        )

# %% [markdown]
# Our episodes end by the 100-step time limit, which gymnasium calls
# *truncation*; `terminated` would mean the game itself reached an end state,
# which never happens here.
#
# Why two flags and not one "done"? Because learning treats them differently. A
# **terminated** episode has no future: the value of its last state is 0. A
# **truncated** one was cut off while the game could have gone on: agent1 at step
# 100 might still have had new cells to discover. An algorithm that learns values
# (PPO does, chapter 3) then *bootstraps*: it estimates the rest of the return
# from the value network's guess for the last observation instead of assuming
# zero. Report a time limit as termination and the value network learns that the
# last steps before the limit are worth nothing, which is wrong. So: stop your
# loop on **either** flag, but tell the truth about which one it was.
#
# The text board shows the state: `1` and `2` are the agents, `.` the cells agent1
# has visited, then the step and both returns so far.

# %%
print(env.render())

# %% [markdown]
# ### A collision, set up on purpose
#
# `reset(options=...)` can place the agents and fix the move order, which is handy
# to see a rule in action. Put agent2 right below agent1 and let agent1 move first,
# down into agent2:

# %%
obs, _ = env.reset(
    seed=0,
    options={"agent1_pos": [2, 2], "agent2_pos": [3, 2], "move_order": "agent1_first"},
)
obs, rewards, _, _, infos = env.step({"agent1": 2, "agent2": 3})
print("rewards:", rewards)
print("infos:  ", infos)
print(env.render())

# %% [markdown]
# agent1's move was cancelled (it stays at `[2, 2]`), both agents saw a collision,
# agent1 paid -1.0 and agent2 earned +1.0. agent2's own move to the left went
# ahead afterwards.
#
# ### Bad actions are refused, loudly
#
# A common bug is an action dict that misses an agent, or an action outside the
# action space. The env says exactly what was wrong instead of guessing:

# %%
from handson_rl.arena import ArenaActionError

for bad in ({"agent1": 1}, {"agent1": 1, "agent2": 4}, {"agent1": "up", "agent2": 0}):
    try:
        env.step(bad)
    except ArenaActionError as err:
        print(f"{bad!s:32} -> {err}\n")

# %% [markdown]
# ## Pictures instead of text
#
# With `render_mode="rgb_array"` the env renders an image (a NumPy array of
# pixels). Light blue cells are the ones agent1 has visited.

# %%
from handson_rl.arena.render import show_frame

pic_env = MultiAgentArena({"render_mode": "rgb_array"})
pic_env.reset(seed=0)
for a1, a2 in [(1, 0), (1, 3), (2, 0), (2, 3), (1, 0)]:
    pic_env.step({"agent1": a1, "agent2": a2})
frame = pic_env.render()
print("frame:", frame.shape, frame.dtype)
show_frame(frame, scale=2)

# %% [markdown]
# ## Watching a whole episode
#
# Now let both agents act at random for a full episode and watch it live: the
# picture below updates in place after every step. The loop is the one from
# chapter 1, with dicts. The frames are kept, and saved as a GIF at the end.

# %%
from handson_rl.arena.render import LiveBoard, frames_to_gif, show_gif

live_env = MultiAgentArena({"render_mode": "rgb_array"})
obs, infos = live_env.reset(seed=3)
rng = np.random.default_rng(3)
live = LiveBoard(live_env, fps=FPS)  # frames per second of the live view

done = False
while not done:
    actions = {agent: int(rng.integers(4)) for agent in obs}
    obs, rewards, terminateds, truncateds, infos = live_env.step(actions)
    live.update()
    done = terminateds["__all__"] or truncateds["__all__"]

print(
    f"returns: agent1 {live_env.returns['agent1']:+.1f}, agent2 {live_env.returns['agent2']:+.1f}"
)
gif_path = frames_to_gif(live.frames, "outputs/02_random_episode.gif", fps=10)
print("saved", gif_path, f"({len(live.frames)} frames)")

# %% [markdown]
# The GIF plays the same episode on a loop (open `outputs/` in JupyterLab's file
# browser to find the file):

# %%
show_gif(gif_path)

# %% [markdown]
# Random agent1 wanders, revisits its own trail and loses about as much as it
# earns; random agent2 pays -0.1 almost every step and rarely catches anyone.
# One episode is noisy, so the next cell averages over many random episodes.
# Before you run it:

# %% tags=["concept"]
ask("ch2-catches")

# %% [markdown]
# These are the numbers a trained agent has to beat. The cell also counts the
# collisions (the `"collision"` flag in the step's infos):

# %%
n_episodes = RANDOM_EPISODES
totals = {"agent1": [], "agent2": []}
catches = []
rng = np.random.default_rng(0)
for episode in range(n_episodes):
    obs, _ = env.reset(seed=episode)
    done, caught = False, 0
    while not done:
        obs, _, terminateds, truncateds, infos = env.step(
            {agent: int(rng.integers(4)) for agent in obs}
        )
        caught += infos["agent2"]["collision"]
        done = terminateds["__all__"] or truncateds["__all__"]
    catches.append(caught)
    for agent in totals:
        totals[agent].append(env.returns[agent])

for agent, values in totals.items():
    print(
        f"{agent}: mean return {np.mean(values):+.2f} "
        f"(std {np.std(values):.2f}) over {n_episodes} random episodes"
    )
print(
    f"collisions per episode: {np.mean(catches):.2f} on average; "
    f"{np.mean(np.array(catches) == 0):.0%} of the episodes had none"
)

# %% [markdown]
# ## Your turn: play agent1
#
# Before any agent learns this game, play it yourself. First a question about
# what agent1 *sees*:

# %% tags=["concept"]
ask("ch2-observation")

# %% [markdown]
# Put agent1 on cell 34 (`[3, 4]`) and agent2 on cell 99, step right and back
# left (agent2 walks into its wall, so it stays), and compare what agent1
# observes with what the env knows:

# %%
seen_env = MultiAgentArena()
obs, _ = seen_env.reset(seed=0, options={"agent1_pos": [3, 4], "agent2_pos": [9, 9]})
print(
    f"step {seen_env.timestep}: agent1 observes {obs['agent1']}, has visited {sorted(seen_env.visited)}"
)
for action in (1, 3):  # right, then back left
    obs, rewards, *_ = seen_env.step({"agent1": action, "agent2": 1})
print(
    f"step {seen_env.timestep}: agent1 observes {obs['agent1']}, has visited {sorted(seen_env.visited)}"
    f" (last reward {rewards['agent1']:+.1f})"
)

# %% [markdown]
# **What agent1 cannot see.** Its observation is two cell numbers, nothing else.
# Which cells it has already visited is not in it, yet its reward depends on
# exactly that: the same move from the same cell is worth +1.0 the first time
# and -0.5 every time after. The observation does not hold the whole state of the
# game, so the problem is **partially observed**. A policy that sees only
# `[own cell, other cell]` must act the same way every time it is in the same
# spot; it cannot decide "I have been here, go elsewhere". The best it can do is
# learn a route that does not cross itself. Chapter 5 shows the route a trained
# agent1 learned. (The usual remedies, adding the visited cells to the
# observation or giving the network a memory, are good experiments once the
# course is done.)
#
# Now play agent1 against a random agent2 and feel both: the reward rules, and
# how little agent1's observation (shown next to the board) says compared with
# the board you see. Click the board, then move with the arrow keys (or W/A/S/D,
# or the buttons). At the end, the summary shows how the course's trained agent1
# and a random one scored from the same start; **Restart** replays the same
# start.

# %%
from handson_rl.tools.play import play

play("agent1", opponent="random", seed=1)

# %% [markdown]
# ## Exercise 1: the environment loop
#
# Write `run_episode(env, policies, seed=None)`, which plays **one full episode**
# and returns `(returns, frames)`:
#
# 1. start the episode with `env.reset(seed=seed)`;
# 2. at every step, ask each agent's policy for an action with
#    `policies[agent_id].act(obs[agent_id])`: each agent gets *its own*
#    observation;
# 3. step the env with the action dict, and add each agent's reward to its return;
# 4. render the board right after the reset and after every step (`env.render()`),
#    collecting the frames in a list;
# 5. stop when the episode is over for everyone, whatever the board's time limit
#    is: `terminateds["__all__"] or truncateds["__all__"]` (this game only ever
#    truncates, but a loop should not depend on that);
# 6. return a dict `{agent_id: return}` and the list of frames.
#
# The policies are "dummies" that act at random; training will replace them
# later, and your loop will stay the same. The course package has one; here is
# its whole source:

# %%
import inspect

from handson_rl.arena.rollout import RandomPolicy as DummyPolicy

print(inspect.getsource(DummyPolicy))

# %% [markdown]
# Write your loop in the function below. The next cell checks it by running it on
# a recording copy of the arena and tells you what, if anything, is still off.


# %%
def run_episode(env, policies, seed=None):
    """Play one full episode; return ({agent_id: return}, [frames])."""
    # BEGIN SOLUTION: Exercise 1: reset with the seed, then step until "__all__" is True; return (returns, frames)
    obs, infos = env.reset(seed=seed)
    returns = {agent_id: 0.0 for agent_id in obs}
    frames = [env.render()]
    done = False
    while not done:
        actions = {agent_id: policies[agent_id].act(obs[agent_id]) for agent_id in obs}
        obs, rewards, terminateds, truncateds, infos = env.step(actions)
        for agent_id, reward in rewards.items():
            returns[agent_id] += reward
        frames.append(env.render())
        done = terminateds["__all__"] or truncateds["__all__"]
    return returns, frames
    # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.exercise1 import check_exercise1

check_exercise1(run_episode)

# %% [markdown]
# Once the check passes, use your loop: play an episode with two dummy policies,
# report the returns and watch it.

# %% tags=["needs-solution"]
ex_env = MultiAgentArena({"render_mode": "rgb_array"})
dummies = {
    agent: DummyPolicy(ex_env.get_action_space(agent), seed=i)
    for i, agent in enumerate(ex_env.possible_agents)
}
returns, frames = run_episode(ex_env, dummies, seed=42)
for agent, value in returns.items():
    print(f"{agent} return: {value:+.1f}")
show_gif(frames_to_gif(frames, "outputs/02_exercise1.gif", fps=10))

# %% [markdown]
# ## Recap
#
# - Spaces describe what agents observe and do: `Discrete`, `MultiDiscrete`,
#   `Box`, `Tuple`, `Dict`. Ours: `MultiDiscrete([100, 100])` in, `Discrete(4)` out.
# - RLlib's multi-agent API is gymnasium's with dicts keyed by agent id; the
#   `"__all__"` key says when the whole episode is over.
# - The 100-step limit ends episodes by **truncation**; learning algorithms
#   bootstrap the value at a truncation and not at a termination, so the two flags
#   must stay apart.
# - agent1 sees positions, not the cells it visited: a **partially observed**
#   problem.
# - Bad actions and configs fail with messages that tell you what to fix.
# - Random play scores about -0.7 for agent1 (with a large spread from episode
#   to episode) and about -9 for agent2: the baseline to beat.
#
# **Try next:** make the board 5 x 5 in `run_episode`'s env and see how a random
# agent1's return changes; write a policy for agent1 that always moves right and
# down in turn, and compare its return with the dummy's. Chapter 3 trains
# real policies with PPO. Your progress so far:

# %%
from handson_rl.progress_report import show_progress

show_progress(2)
