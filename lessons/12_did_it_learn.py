# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 12. Did it learn?
#
# **Goal of this chapter:** answer the question every training run ends with, with
# numbers and with pictures. We pit the trained agents against each other and
# against opponents that move at random, and we watch them play.
#
# Time: about 10 minutes. No training: the chapter uses your agents from
# Exercise 2 if you ran it, otherwise the course's pre-trained agents.

# %% [markdown]
# ## Which agents?
#
# If you finished Exercise 2 (chapter 7), its best trial left a checkpoint in
# `outputs/tune/exercise2/`. If not (or if your laptop was too slow to train in
# class), the course ships two pre-trained modules in `pretrained/arena_ppo/`.
# Their `training.json` records how they were trained (the command, the number
# of iterations, the seed); the next cell prints it when it uses them.

# %%
from pathlib import Path

from handson_rl.tools.tuning import best_trial_checkpoint
from handson_rl.training.checkpoints import load_module
from handson_rl.training.pretrained import info, load_pretrained
from handson_rl.training.quiet import quiet_ray

quiet_ray()  # no Ray cluster in this chapter, but RLlib's notices stay hidden

exercise_dir = Path("outputs/tune/exercise2").absolute()
USE_PRETRAINED = False  # True: the course's agents, even if you trained your own


def exercise2_modules(experiment_dir: Path):
    """(p1 and p2 from the latest checkpoint of Exercise 2's best trial, why not)."""
    if USE_PRETRAINED:
        return None, "USE_PRETRAINED is True"
    if not experiment_dir.exists():
        return None, f"there is no Exercise 2 run in {experiment_dir}"
    checkpoint = best_trial_checkpoint(experiment_dir)
    if checkpoint is None:
        return None, (
            f"Exercise 2's run in {experiment_dir} left no checkpoint (run it with "
            "checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=True))"
        )
    print("checkpoint:", checkpoint)
    return {module_id: load_module(checkpoint, module_id) for module_id in ("p1", "p2")}, None


modules, why_not = exercise2_modules(exercise_dir)
if modules is not None:
    print(">>> Using YOUR agents from Exercise 2:", exercise_dir)
else:
    modules = load_pretrained()
    print(f">>> Using the course's PRE-TRAINED agents, because {why_not}.")
    for key, value in info().items():
        print(f"    {key}: {value}")

# %% [markdown]
# ## Four match-ups
#
# A return on its own says little: is agent1's return good? Against what? Compare it
# with the same agent facing a different opponent, and with a random agent in its
# place:
#
# | match-up | what it tells |
# |---|---|
# | trained vs trained | what training produced: both sides at their best |
# | trained agent1 vs random agent2 | agent1's skill without a chaser after it |
# | random agent1 vs trained agent2 | agent2's skill at catching a target that wanders |
# | random vs random | the baseline from chapter 2 |
#
# Each row is the mean over many seeded episodes (the coin flips and the sampled
# actions make single episodes noisy) with its standard error. Trained agents
# *sample* their actions from their policy, as they did in training.
#
# Predict two of the rows before you run the table:

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch12-random-row")

# %% tags=["concept"]
ask("ch12-chaser")

# %%
import inspect

import pandas as pd

from handson_rl.arena.rollout import mean_returns, random_policies
from handson_rl.budget import pick
from handson_rl.training.measures import matchup_stats
from handson_rl.training.policies import trained_policies

EPISODES = pick(full=300, smoke=10)
print(inspect.getsource(matchup_stats))
stats = matchup_stats(modules, episodes=EPISODES)  # {match-up: {agent: {"mean", "sem"}}}
table = pd.DataFrame(
    {
        name: {
            agent: f"{s[agent]['mean']:+.1f} ± {s[agent]['sem']:.1f}"
            for agent in ("agent1", "agent2")
        }
        for name, s in stats.items()
    }
).T
table

# %% [markdown]
# How to read it:
#
# - **Did agent1 learn to explore?** Compare a trained agent1 with a random
#   agent1 against the same opponent: rows 1 and 3 (trained agent2), rows 2 and
#   4 (random agent2).
# - **Did agent2 learn to chase *this* agent1?** Against the trained agent1,
#   compare the trained agent2 (row 1) with a random agent2 (row 2). Against a
#   random agent1 (row 3 vs row 4) its edge can be much smaller: it may have
#   learned where the trained agent1 tends to go, not chasing in general.
# - **Did they learn against each other?** A random agent2 is the weaker chaser
#   (compare agent2's column in rows 1 and 2). Does agent1 then score more
#   against it (row 2) than against the trained one (row 1)? Not necessarily:
#   its observation holds agent2's cell, so a random agent2 shows it situations
#   it rarely met in training, and how agent1 copes with them varies from run to
#   run. Over the seeds of `bench/seed_ranges.py` (agents trained as in
#   chapter 3, fewer iterations than the pre-trained ones), agent1 against a random
#   agent2 minus agent1 against the trained one was
#   {{seeds:ch12.agent1_random_minus_trained_opponent}}. This
#   **co-adaptation** is the classic pitfall of training agents only against
#   each other; training against a mix of opponents (random ones, or older
#   versions of the other agent) is the usual remedy.
#
# The next cell checks each of these on *your* table with the course's one rule
# (`verdicts.compare`: beyond the noise when a difference is more than twice the
# standard error of the two means). The course's test suite checks the first
# three on the pre-trained agents, so those claims cannot silently stop being
# true for them.

# %%
from handson_rl.arena.rollout import learning_verdicts
from handson_rl.verdicts import compare

for claim, held, verdict in learning_verdicts(stats):
    print(f"{'yes' if held else 'NOT SHOWN'}: {claim}\n    {verdict}")
print("co-adaptation: does agent1 score more against a random agent2 than against the trained one?")
print(
    "   ",
    compare(
        stats["trained agent1 vs random agent2"]["agent1"],
        stats["trained vs trained"]["agent1"],
        names=("against a random agent2", "against the trained agent2"),
        what="trained agent1",
    ),
)
if EPISODES < 100:
    print(f"(only {EPISODES} episodes per match-up: too few to be sure either way)")

# %% [markdown]
# ### How sure are these numbers?
#
# The `±` is the standard error of each mean. Running more episodes makes it
# smaller, but by how much?

# %% tags=["concept"]
ask("ch12-episodes")

# %% [markdown]
# The random-vs-random match-up is the quickest to replay: the same players,
# with `EPISODES` and with four times as many episodes.

# %%
for n in (EPISODES, 4 * EPISODES):
    replay = mean_returns(random_policies(seed=200), episodes=n, seed=10_000)
    print(
        f"{n:5d} episodes: agent1 {replay['agent1']['mean']:+.1f} ± {replay['agent1']['sem']:.2f}, "
        f"agent2 {replay['agent2']['mean']:+.1f} ± {replay['agent2']['sem']:.2f}"
    )

# %% [markdown]
# ## Watch them play
#
# One episode of the trained agents against each other. Blue is agent1 (its trail
# of visited cells in light blue), red is agent2.

# %%
from handson_rl.arena.render import show_gif
from handson_rl.arena.rollout import episode_gif

returns, gif = episode_gif(
    trained_policies(modules, seed=3), Path("outputs/12_trained_episode.gif"), seed=3
)
print({agent: round(value, 1) for agent, value in returns.items()})
show_gif(gif)

# %% [markdown]
# And the same start with both agents moving at random, for comparison:

# %%
returns, gif = episode_gif(random_policies(seed=3), Path("outputs/12_random_episode.gif"), seed=3)
print({agent: round(value, 1) for agent, value in returns.items()})
show_gif(gif)

# %% [markdown]
# ## Your turn: play against them
#
# **Can you escape the trained chaser?** You are agent1 (blue), the trained agent2
# hunts you. Click the board, then move with the arrow keys (or W/A/S/D, or the
# buttons). At the end, the summary shows how the trained agent1 and a random
# one scored from the same start; **Restart** replays it.

# %%
from handson_rl.tools.play import play

play("agent1", opponent="trained", modules=modules, seed=5)

# %% [markdown]
# **Can you catch the trained explorer?** Now you are agent2 (red), chasing the
# trained agent1. Watch where it goes: it learned a route, and a route can be
# predicted.

# %%
play("agent2", opponent="trained", modules=modules, seed=5)

# %% [markdown]
# ## Capstone: a chaser of your own
#
# A random agent2 is an easy yardstick. A harder one is a chaser you write by
# hand. Write `chase(observation, width)`: `observation` is agent2's, `[own
# cell, agent1's cell]`, with `cell = row * width + col` (chapter 2), and the
# function returns the action (0 up, 1 right, 2 down, 3 left) that takes agent2
# one step closer to agent1. Row 0 is the top of the board.
#
# The check asks it about every pair of cells, on this board and on a narrower
# one (so use `width`, not 10). Then the next cell plays your chaser against the
# trained agent1 and compares it with the trained agent2 through the course's
# verdict rule: did training beat a few lines of code?


# %% tags=["needs-solution"]
def chase(observation, width=10):
    # BEGIN SOLUTION: Task: turn both cells into (row, col), then return the action (0 up, 1 right, 2 down, 3 left) that brings agent2 closer to agent1
    row, col = divmod(int(observation[0]), width)
    row1, col1 = divmod(int(observation[1]), width)
    if row1 != row:
        return 0 if row1 < row else 2
    return 3 if col1 < col else 1
    # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.tasks.ch12_capstone import check_chase

check_chase(chase)

# %% tags=["needs-solution"]
from handson_rl.verdicts import compare


class HandChaser:
    """Your chase() as a policy for Exercise 1's loop."""

    def act(self, observation):
        return chase(observation, 10)


trained = trained_policies(modules, seed=100)  # as in the table, over the same episodes
rows = {
    "trained vs trained": mean_returns(trained, episodes=EPISODES, seed=10_000),
    "trained agent1 vs your chaser": mean_returns(
        {"agent1": trained["agent1"], "agent2": HandChaser()}, episodes=EPISODES, seed=10_000
    ),
}
for name, row in rows.items():
    print(
        f"{name:>30}: "
        + ", ".join(f"{a} {m['mean']:+.1f} ± {m['sem']:.1f}" for a, m in row.items())
    )
print(
    compare(
        rows["trained vs trained"]["agent2"],
        rows["trained agent1 vs your chaser"]["agent2"],
        names=("trained agent2", "your chaser"),
        what="agent2's mean return against the trained agent1",
    )
)

# %% [markdown]
# If your chaser comes out higher, look at agent1's return in its line as well. The trained agent1 met only the trained agent2 in training; a chaser
# that heads straight for it every step shows situations it never learned to
# handle. That is the co-adaptation of the table above, seen from the other
# side, and the remedy is the same: train against a mix of opponents, in which a
# hand-written chaser like yours would be a good member. Try to escape it
# yourself: `play("agent1", opponent=HandChaser(), seed=5)`.

# %% [markdown]
# ## Recap, and where to go from here
#
# - "Did it learn?" needs a comparison: the same agent against different
#   opponents, and a random agent in its place, over many seeded episodes.
# - A trained module is a small file; `RLModule.from_checkpoint` brings it back
#   without Ray, and Exercise 1's loop plays it.
#
# That closes the course. From here:
#
# - **A bigger board, longer episodes:** `env_config={"width": 15, "height": 15,
#   "timestep_limit": 200}`; train, watch, compare.
# - **Parameter sharing:** one shared module for both agents with the agent id in
#   the observation (chapter 4 showed why plain sharing struggles here).
# - **Self-play and opponent pools:** train each agent against a mix of the
#   other's older versions (saved modules) and random players, against the
#   co-adaptation the table above shows.
# - **Other algorithms:** swap `PPOConfig` for `APPOConfig` or `IMPALAConfig`;
#   most of the config carries over.
# - **More compute:** chapter 10's cluster, with more env runners per trial and
#   more trials at once.
#
# Your progress through the course (also `python -m handson_rl.progress_report` in a
# terminal, or `bash course.sh progress`):

# %%
from handson_rl.progress_report import show_progress

show_progress()
