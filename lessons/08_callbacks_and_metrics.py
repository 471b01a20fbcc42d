# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 8. Callbacks and custom metrics
#
# **Goal of this chapter:** measure what the agents *do*, not only what they earn.
# You will count, in every episode, the new cells agent1 discovers and the
# collisions, with an RLlib **callback**; find those numbers in the result dict;
# plot them over training; and open them in **TensorBoard**. Then, in
# **Exercise 3**, you write a callback for a metric of your own.
#
# Time: about 20 minutes, of which under a minute is training.

# %%
import ray

from handson_rl.budget import pick, seed
from handson_rl.training.quiet import quiet_ray

SEED = seed()  # the course's seed: 0 unless COURSE_SEED is set

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)

# %% [markdown]
# ## Why returns are not enough
#
# agent1 earns +1 for a step onto a cell it has not visited yet, -1 when the two
# agents collide, and -0.5 for any other step. A collision cancels the new-cell
# reward: if agent1 reaches a new cell and agent2 then bumps into it in the same
# step, agent1 gets -1.0, not +1.0. Over a 100-step episode, counting every step
# once, that is
#
# $$\text{return}_1 = 1.5 \cdot \text{new cells} - 0.5 \cdot \text{collisions} - 50
#   - 1.5 \cdot \text{both} ,$$
#
# where *both* counts the steps with a new cell *and* a collision. Without them,
# a return of +5 can be 40 new cells with 10 collisions, or 37 new cells with a
# single one. When agent1's return rises during training, is agent1 learning to
# explore, or is agent2 failing to chase it? The return cannot tell; counting the
# two events can.
#
# ## Where the events come from
#
# The arena already reports them: every `step()` returns, in its `infos`, whether
# agent1 found a new cell and whether the agents collided.

# %%
from handson_rl.arena.env import MultiAgentArena

env = MultiAgentArena()
obs, infos = env.reset(seed=0)
obs, rewards, terminateds, truncateds, infos = env.step({"agent1": 1, "agent2": 0})
print("rewards:", rewards)
print("infos:  ", infos)

# %% [markdown]
# RLlib keeps each step's infos in the **episode** object it builds while
# sampling. A callback can read them from there.
#
# ## A callback on today's API
#
# A callback is a subclass of `RLlibCallback` whose methods ("hooks") RLlib calls
# at fixed moments. For metrics about episodes, three hooks matter:
#
# - `on_episode_start(episode=...)`: right after `reset()`;
# - `on_episode_step(episode=...)`: after every `step()`;
# - `on_episode_end(episode=..., metrics_logger=...)`: once the episode is over.
#
# RLlib calls every hook with **keyword arguments** (`episode`, `env_runner`,
# `metrics_logger`, `env`, `env_index`, `rl_module`, ...), so a hook names the
# ones it needs after `*` and collects the rest in `**kwargs`.
#
# The course's callback, `ArenaMetrics`, lives in the package because later
# chapters use it too. Here is its core:

# %%
import inspect

from handson_rl.training.metrics import ArenaMetrics, count_step_events

print(inspect.getsource(count_step_events))
print(inspect.getsource(ArenaMetrics))

# %% [markdown]
# Before reading on, two questions about it:

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch8-custom-data")

# %% tags=["concept"]
ask("ch8-reduce-mean")

# %% [markdown]
# Three choices in it are worth a closer look:
#
# 1. **Where the count lives.** RLlib creates *one* callback object per env runner
#    and uses it for every episode that runner plays, several at the same time
#    when it steps several envs. A count stored on `self` would mix episodes up.
#    `episode.custom_data` is a dict that belongs to one episode (and follows it
#    when RLlib hands a long episode over in pieces).
# 2. **Infos rather than the env.** The hooks also get `env`, but with several
#    envs per runner that is a vector of envs (`env.envs[env_index]` is ours). The
#    infos are already in the episode, whatever the number of envs.
# 3. **Log once per episode, with a reduction.** `metrics_logger.log_value(key,
#    value, reduce="mean")` in `on_episode_end` logs one number per episode;
#    `reduce="mean"` tells RLlib to average the episodes that finished in a
#    training iteration and to start afresh in the next one. (With several env
#    runners it is a mean of each runner's mean, not of all episodes: Ray 2.60's
#    `MeanStats` says so. Equal-sized runners make the two nearly the same.)
#    Without `reduce=`, RLlib would keep an exponential moving average that
#    mostly reflects old episodes.
#
# The names it logs under are constants, so nobody has to retype them:

# %%
from handson_rl.training.metrics import COLLISIONS, NEW_FIELDS

print(NEW_FIELDS, COLLISIONS)

# %% [markdown]
# ## Training with the callback, under Ray Tune
#
# `config.callbacks(ArenaMetrics)` plugs the callback in. (The course config
# already has a small `on_episode_end` function that records per-episode
# returns; RLlib calls both.)
#
# We train under **Ray Tune** with one trial, because only runs under Tune write
# the files TensorBoard reads (a bare `algo.train()` writes none). One thing to
# watch: a Tune trial reserves one CPU for the algorithm itself plus one per env
# runner. Ray has 2 CPUs here, so 2 env runners would need 3 and the trial would
# wait forever. We sample in the trial's own process instead: 0 env runners, each
# stepping many boards at once.

# %%
from pathlib import Path

from ray import tune
from ray.rllib.algorithms.ppo import PPO

from handson_rl.tools.tuning import TuneProgress
from handson_rl.training.config import arena_ppo_config

ITERATIONS = pick(full=40, smoke=2)
STORAGE = Path("outputs/08_tune").absolute()  # Tune wants an absolute path

config = arena_ppo_config(
    seed=SEED,
    num_env_runners=0,
    num_envs_per_env_runner=pick(full=32, smoke=4),
    train_batch_size=pick(full=2000, smoke=400),
    minibatch_size=pick(full=2000, smoke=400),
).callbacks(ArenaMetrics)

tuner = tune.Tuner(
    PPO,  # the class, not the string "PPO"
    param_space=config,
    run_config=tune.RunConfig(
        storage_path=str(STORAGE),
        name="arena_metrics",
        stop={"training_iteration": ITERATIONS},
        verbose=0,  # no progress table: one progress line instead, and a plot below
        callbacks=[TuneProgress()],
    ),
)
grid = tuner.fit()
result = grid[0]
print(f"{ITERATIONS} iterations done; trial directory: {Path(result.path).relative_to(Path.cwd())}")

# %% [markdown]
# ## Where the metrics appear
#
# `result.metrics` is the last iteration's result dict: exactly what
# `algo.train()` returns. Custom metrics logged by episode hooks land under
# `result["env_runners"]`, next to RLlib's own episode statistics:

# %%
runners = result.metrics["env_runners"]
print("new cells per episode:", round(float(runners[NEW_FIELDS]), 1))
print("collisions per episode:", round(float(runners[COLLISIONS]), 1))
print(
    "agent returns:",
    {a: round(float(r), 1) for a, r in runners["agent_episode_returns_mean"].items()},
)
without_both = 1.5 * float(runners[NEW_FIELDS]) - 0.5 * float(runners[COLLISIONS]) - 50
agent1_return = float(runners["agent_episode_returns_mean"]["agent1"])
print(
    f"1.5 x new cells - 0.5 x collisions - 50 = {without_both:.1f}; agent1's return is "
    f"{without_both - agent1_return:.1f} lower: {(without_both - agent1_return) / 1.5:.1f} steps per "
    "episode with a new cell and a collision at once"
)

# %% [markdown]
# ## Both metrics over training
#
# Tune kept every iteration's result (`result.metrics_dataframe`, also saved as
# `progress.csv`). Each point is the mean over the episodes that finished in that
# iteration; iterations in which no episode finished have no point. The thick
# lines are moving averages.

# %%
import matplotlib.pyplot as plt

from handson_rl.tools.plotting import plot_metrics, plot_returns
from handson_rl.training.metrics import history_from_dataframe

history = history_from_dataframe(result.metrics_dataframe)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
plot_returns(history, ax=axes[0], title="returns")
plot_metrics(history, axes=axes[1:])
fig.tight_layout()
plt.show()

from handson_rl.training.measures import QUARTER_KEYS, ch08_key, quarter_rise, quarters
from handson_rl.verdicts import compare, your_run

# Per-iteration means, the first quarter of the iterations against the last.
for key, what in QUARTER_KEYS.items():
    found = quarters(history, key)
    if found is None:
        print(f"{len(history)} iterations: too few to compare the first and the last quarter")
        break
    first, last = found
    print(compare(last, first, names=("last quarter", "first quarter"), what=what))
    print("   ", your_run(ch08_key("rise", key), quarter_rise(history, key), label="rise"))

# %% [markdown]
# Read the three panels together with the lines under them, which compare the
# last quarter of the iterations with the first through the course's rule
# (beyond or within the noise). The return curves say whether the agents do
# better as training goes on; the other two panels say how. If the new cells
# rose beyond the noise, agent1 learned to explore; if the collisions rose too,
# agent2 learned to chase, and a return of agent1 that rose all the same did so
# *despite* a better hunter, because exploring paid more than the extra
# collisions cost. Which story does your run tell? Neither is visible in agent1's
# return alone.
#
# The "rise" lines place your run among ten full-length runs of this cell with
# `COURSE_SEED` 0 to 9 (`bench/seed_ranges.py --parts ch08`). Over those seeds,
# from the first quarter of the iterations to the last, new cells per episode rose
# by {{seeds:ch08.rise.new_fields}}, collisions per episode by
# {{seeds:ch08.rise.collisions}}, and agent1's return by
# {{seeds:ch08.rise.agent1}}.

# %% [markdown]
# ## The same metrics in TensorBoard
#
# Tune wrote a TensorBoard event file into the trial directory, with every number
# of every result dict, under tags like `ray/tune/env_runners/agent1_new_fields`:

# %%
from handson_rl.tools.tensorboard import event_files, read_scalars

trial_dir = Path(result.path)
for path in event_files(trial_dir):
    print(path.relative_to(STORAGE))

scalars = read_scalars(trial_dir)  # this trial's event file only
for key in (NEW_FIELDS, COLLISIONS):
    points = scalars[f"env_runners/{key}"]
    print(f"env_runners/{key}: {len(points)} points, last {points[-1][1]:.1f}")

# %% [markdown]
# To look at them in TensorBoard, start it on the experiment directory from a
# terminal (in the course folder, with the course's environment active):
#
# ```bash
# tensorboard --logdir outputs/08_tune
# ```
#
# and open the address it prints (http://localhost:6006). Or, inside JupyterLab,
# in a notebook cell:
#
# ```
# %load_ext tensorboard
# %tensorboard --logdir outputs/08_tune
# ```
#
# In the **Scalars** tab, type `agent1_new_fields|collisions` into the tag
# filter. Every Tune run you start under `outputs/08_tune` (running this
# notebook again, say) appears as its own run, so you can compare trainings side
# by side.

# %% [markdown]
# ## Exercise 3: a metric of your own
#
# Write a callback that logs one number per episode about how the agents behave,
# a number the returns do not show. Some ideas:
#
# - the share of the board agent1 covered (0 to 1);
# - the number of steps until the first collision (100 if there was none);
# - the mean distance between the two agents.
#
# Rules of thumb from above: subclass `RLlibCallback`; keep per-episode state in
# `episode.custom_data`, not on `self`; log once, in `on_episode_end`, with
# `reduce="mean"`; use the same name in `log_value` and in the check.
#
# Useful: `episode.get_infos(-1)` gives the latest infos (`{"agent1": {...},
# "agent2": {...}}`); `env.envs[env_index].unwrapped` is the arena the episode
# runs in, with `agent1_pos` and `agent2_pos` (`[row, col]`) and `visited`.
#
# Fill in the class below; the check plays a few episodes through your hooks the
# way RLlib does, then trains a tiny PPO with your callback and looks for your
# metric in the results.

# %% tags=["needs-solution"]
from ray.rllib.callbacks.callbacks import RLlibCallback

METRIC = "mean_distance"  # the name your metric is logged under; change it to fit yours


class MyMetric(RLlibCallback):
    """One number per episode about how the agents behave."""

    # BEGIN SOLUTION: Exercise 3: write on_episode_start / on_episode_step / on_episode_end (state in episode.custom_data, one log_value(METRIC, ..., reduce="mean") per episode)
    # The solution measures the mean Manhattan distance between the two agents.
    def on_episode_start(self, *, episode, **kwargs):
        episode.custom_data["distances"] = []

    def on_episode_step(self, *, episode, env, env_index, **kwargs):
        arena = env.envs[env_index].unwrapped
        (r1, c1), (r2, c2) = arena.agent1_pos, arena.agent2_pos
        episode.custom_data["distances"].append(abs(r1 - r2) + abs(c1 - c2))

    def on_episode_end(self, *, episode, metrics_logger, **kwargs):
        distances = episode.custom_data["distances"]
        metrics_logger.log_value(METRIC, sum(distances) / len(distances), reduce="mean")

    # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.exercise3 import check_exercise3

values = check_exercise3(MyMetric, METRIC)

# %% [markdown]
# The check's run is tiny (two iterations of 200 steps), so its numbers say only
# that the metric arrives. To follow your metric over a real training, run the
# Tune cell above again with both callbacks: `.callbacks([ArenaMetrics, MyMetric])`
# (RLlib accepts a list of callback classes and calls them in order).

# %% [markdown]
# ## Recap
#
# - Returns mix several behaviours; count the events that make them up.
# - An `RLlibCallback` subclass with episode hooks does the counting: state in
#   `episode.custom_data`, one `metrics_logger.log_value(..., reduce="mean")` per
#   episode in `on_episode_end`.
# - The values appear in every result under `result["env_runners"][name]`.
# - Runs under Ray Tune write them (with everything else) to TensorBoard event
#   files; `tensorboard --logdir <storage path>` shows them.
#
# **What to try next:** log a metric per agent with a nested key,
# `log_value(("per_agent", "agent1", "moves"), ...)`; use `on_train_result` to
# add a number computed from the whole result dict. (A smoother curve does not
# come from `window=100`: on Ray 2.60 every iteration's mean starts afresh, and a
# window only caps how many of that iteration's episodes it averages. Keep the
# last 100 values yourself, as the course's `ReturnWindow` does for returns.)

# %%
ray.shutdown()

# %%
from handson_rl.progress_report import show_progress

show_progress(8)
