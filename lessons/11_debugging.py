# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 11. Debugging
#
# **Goal of this chapter:** find bugs in RLlib programs quickly. You will run
# everything in one process so that a debugger can stop inside your env, read an
# error that happened in a remote env runner, meet the three most common mistakes
# in a multi-agent env (and the errors they cause), catch them before training
# with two checks, and see what happens when an env crashes for real in the
# middle of training. At the end: where Ray keeps its logs, and the tools to look
# at a running Ray.
#
# Time: about 20 minutes, of which under a minute is training (most of it the
# fault-tolerance run near the end).

# %%
import ray

from handson_rl.budget import pick
from handson_rl.training.quiet import quiet_ray

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)

# %% [markdown]
# ## Everything in one process
#
# With `num_env_runners=0` there are no remote env runners: the Algorithm samples
# with a local EnvRunner inside *this* Python process, and the Learner lives here
# too (`num_learners=0` is the default). Your env's `step()` then runs in the
# notebook's process, so everything a debugger needs is here: `pdb.set_trace()`
# stops in it, `%debug` can open the frame where it crashed, and `print` shows up
# in the cell's output.
#
# To prove it, here is an env that records where it is called from the first time
# `step()` runs: the process id and the call stack.

# %%
import os
import traceback

from ray.tune.registry import register_env

from handson_rl.arena.env import MultiAgentArena
from handson_rl.training.config import arena_ppo_config


class WhereAmIArena(MultiAgentArena):
    """The arena, plus a record of the first step()'s process and call stack.

    With ``env_config={"break": True}`` it also stops in pdb there. That works only
    when the env runs in your process (num_env_runners=0).
    """

    first_step = None

    def __init__(self, config=None):
        config = dict(config or {})
        self.stop_in_debugger = config.pop("break", False)
        super().__init__(config)

    def step(self, action_dict):
        if WhereAmIArena.first_step is None:
            WhereAmIArena.first_step = {
                "pid": os.getpid(),
                "stack": traceback.format_stack(limit=12)[:-1],
            }
            if self.stop_in_debugger:
                import pdb

                pdb.set_trace()  # type `n` to step, `p action_dict` to print, `c` to go on
        return super().step(action_dict)


register_env("WhereAmIArena", lambda config: WhereAmIArena(config))

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch11-same-process")

# %% tags=["concept"]
ask("ch11-first-step")

# %% [markdown]
# Train one small iteration in one process. (Set `"break": True` in `env_config`
# to stop in the debugger at the first step; it is off here so that the notebook
# runs through.)

# %%
SMALL = dict(num_envs_per_env_runner=4, train_batch_size=400, minibatch_size=400, num_epochs=1)

config = arena_ppo_config(num_env_runners=0, **SMALL).environment(
    "WhereAmIArena", env_config={"break": False}
)
algo = config.build_algo()
algo.train()
algo.stop()

print(
    "notebook process:", os.getpid(), "| env's first step ran in:", WhereAmIArena.first_step["pid"]
)
print("".join(line for line in WhereAmIArena.first_step["stack"] if "rllib" in line)[-1200:])

# %% [markdown]
# Same process id. And the stack holds a surprise: the very first `step()` does not
# come from training at all, but from building the algorithm: `Algorithm.setup`
# creates the `EnvRunnerGroup`, whose local `MultiAgentEnvRunner.make_env` runs
# RLlib's env checker (`check_multiagent_environments`), which resets the env and
# takes one random step. Later steps come from `algo.train()` through
# `MultiAgentEnvRunner.sample`.
#
# ### Which debugger command works where
#
# Python's `breakpoint()` does not do the same thing everywhere, and Ray changes
# it. We tried each case on Ray 2.60 (the course's tests check them):
#
# | where | `breakpoint()` | `import pdb; pdb.set_trace()` |
# |---|---|---|
# | a notebook cell (JupyterLab) | **skipped silently**, unless JupyterLab's visual debugger (the bug icon) is on: the kernel routes `breakpoint()` to that debugger | a `(Pdb)` prompt under the cell |
# | a script, after `ray.init()` | **waits** ("Waiting for debugger to attach") for Ray's Distributed Debugger, below | a `(Pdb)` prompt in the terminal |
# | a script, after `ray.init()`, with `RAY_DEBUG=legacy` | a `(Pdb)` prompt in the terminal | a `(Pdb)` prompt |
#
# Why: `ray.init()` sets `PYTHONBREAKPOINT=ray.util.rpdb._driver_set_trace` in the
# driver, and with the default `RAY_DEBUG=1` that hook waits for a debugger client
# to attach over the network (`RAY_DEBUG=legacy` switches it back to pdb). A
# Jupyter kernel ignores that variable: its own debugger owns `breakpoint()`.
# `pdb.set_trace()` bypasses both hooks, which is why the arena above uses it.
#
# And after an error:
#
# - **`%debug`** in the cell after an exception opens pdb *post mortem*, in the
#   frame that raised, with all its variables (`%pdb on` does it after every
#   error). At the `(Pdb)` prompt: `n` next line, `s` step into, `p x` print,
#   `u`/`d` up and down the stack, `c` continue, `q` quit.
#
# None of these reach inside a *remote* env runner: that is another process, and
# its standard input is not your notebook. So: reproduce with
# `num_env_runners=0` first, debug there, then scale out again.
#
# ### Ray's Distributed Debugger (when the bug only happens remotely)
#
# Some bugs only show in a remote env runner, a Tune trial or a cluster node.
# For those, Ray 2.60's **Distributed Debugger** (the successor of 2021's "remote
# debugging with PyCharm" and of `ray debug`) attaches VS Code's debugger to the
# Ray process that hit a breakpoint:
#
# 1. `pip install "debugpy>=1.8.0"` where Ray runs (a JupyterLab install has it:
#    ipykernel depends on it), and in VS Code install the **Ray Distributed
#    Debugger** extension;
# 2. put `breakpoint()` in the remote code (an env's `step()`, a callback), and
#    run as usual with `RAY_DEBUG=1` (the default);
# 3. the process pauses and logs "Waiting for debugger to attach"; in VS Code, add
#    the cluster (the dashboard's address) in the extension's panel and click the
#    paused task to attach. Post-mortem: with `RAY_DEBUG_POST_MORTEM=1` a process
#    that raises pauses the same way at the error.
#
# Use it when the one-process reproduction does not fail; it is more setup than
# `pdb`, and a paused process holds its CPU (and, under Tune, its trial) until you
# continue.

# %% [markdown]
# ## Reading an error from a remote env runner
#
# When the env crashes inside a *remote* env runner, the error travels back to
# the driver wrapped in Ray's exceptions. `FlakyArena` (from
# `handson_rl.training.flaky`) is the arena with a bug we can switch on: its `step()`
# raises `EnvCrash` with probability `crash_prob` (seeded, so the crash comes at
# the same step every run). `first_crash` replays those draws, so we know in
# advance where it will happen: with `crash_prob=0.05` and `crash_seed=9`, the
# remote env runner's first board crashes at its 8th `step()` call. The first
# call is RLlib's env checker's (it steps every board once while the runner is
# built), so this is step 7 of the first episode sampled for training: the crash
# happens inside `algo.train()`, the way a real bug in `step()` shows up. We turn
# RLlib's fault tolerance off (`restart_failed_env_runners=False`), so that the
# error stops us instead of being handled.

# %%
from handson_rl.training.flaky import first_crash

print(
    "step() calls before each board's first crash on env runner 1:",
    [
        first_crash(0.05, 9, worker_index=1, board=board)
        for board in range(SMALL["num_envs_per_env_runner"])
    ],
)

# %% tags=["raises-exception"]
from handson_rl.training.config import flaky_ppo_config
from handson_rl.training.quiet import ray_output_to_file

config = flaky_ppo_config(
    crash_prob=0.05, crash_seed=9, restart_failed_env_runners=False, num_env_runners=1, **SMALL
)
algo = config.build_algo()
try:
    algo.train()
finally:
    # Stopping an algorithm whose env runner is dead logs the same ActorDiedError
    # once more ("Failed to stop workers!"): that copy goes to a file. (Only this
    # process's log records: the env runner's own lines, which may still be on
    # their way, stay on the page.)
    with ray_output_to_file("outputs/11_stop_after_crash.log", workers=False):
        algo.stop()

# %% [markdown]
# How to read this, from the bottom up. The cell ends with the driver's
# traceback: `algo.train()` raised `ray.exceptions.ActorDiedError: The actor died
# unexpectedly before finishing this task`, with the actor's class
# (`MultiAgentEnvRunner`), its process id and its node's address, and `Worker
# exit type: SYSTEM_ERROR ... exit code 1`. That is all the driver learns: the
# env runner's *process* ended while it was sampling. The error itself is not in
# this traceback, because the process did not send it back; it ended itself.
#
# The reason is in the output above it, in three kinds of lines:
#
# 1. Lines prefixed `(MultiAgentEnvRunner pid=...)`: Ray forwards a worker
#    process's output to the driver, and this is the env runner's. It logged the
#    crash twice. First `ERROR env_runner.py ... Environment step failed and
#    'config.restart_failed_sub_environments' is False`, with the traceback that
#    ends in our `flaky.py`: `EnvCrash: FlakyArena crashed (simulated) in step 7
#    on env runner 1, board 0`: **the original error, and the line to look
#    for**. The env runner re-raises it as a bare `RuntimeError` (whose cause the
#    `EnvCrash` is). Then `ERROR actor_manager.py ... Worker exception caught
#    during apply()`, with the same chain: RLlib's wrapper around every remote
#    call logs the error again and ends the process (`sys.exit(1)`), so that a
#    broken runner is not used again.
# 2. `(raylet) A worker died or was killed ... Worker exits with an exit code 1`:
#    Ray's notice that the process ended.
# 3. `ERROR actor_manager.py ... Ray error (The actor died ...), taking actor 1
#    out of service`: the driver's side of RLlib marking the runner dead, just
#    before it raised the error the cell ends with.
#
# The forwarded lines also stay in that worker's log file (the end of this
# chapter shows where). If a remote error is still unclear, rerun with
# `num_env_runners=0`: the original exception then happens in your own process,
# where `%debug` can open it.

# %% [markdown]
# ## Three broken environments
#
# Writing your own multi-agent env, three mistakes come up again and again.
# `handson_rl.arena.broken` has one of each, all built on the arena:
#
# - `WrongObsSpaceArena` declares `Discrete(100)` (one cell index) as the
#   observation space but returns `[own cell, other cell]`;
# - `MissingAllArena` forgets the `"__all__"` key in `terminateds` and
#   `truncateds`;
# - `UnknownAgentArena` has a typo: it returns its data for `"agent_1"` instead of
#   `"agent1"`.
#
# Each trains in one process here (`num_env_runners=0`), so the errors arrive
# directly. The cells are expected to fail.

# %%
import inspect

from handson_rl.arena import broken as broken_envs
from handson_rl.arena.broken import BROKEN_ENVS

for name, cls in BROKEN_ENVS.items():
    register_env(name, lambda config, cls=cls: cls(config))

print(inspect.getsource(broken_envs.WrongObsSpaceArena))


def train_once(env_name):
    """One small training iteration on `env_name`, in this process."""
    algo = arena_ppo_config(num_env_runners=0, **SMALL).environment(env_name).build_algo()
    try:
        return algo.train()
    finally:
        algo.stop()


# %% tags=["raises-exception"]
train_once("wrong_obs_space")

# %% [markdown]
# **Wrong observation space.** The error comes from the course's one-hot
# connector, while RLlib builds the env-to-module pipeline: it reads the
# *declared* space, finds `Discrete` where it expects `MultiDiscrete`, and says
# so. The declared spaces drive everything RLlib builds (connectors, network
# sizes), so a wrong one fails early, but the message speaks of the connector,
# not of your env. When an error mentions a space, compare
# `env.observation_spaces` with what `reset()` and `step()` really return.

# %%
print(inspect.getsource(broken_envs.MissingAllArena))

# %% tags=["raises-exception"]
train_once("missing_all")

# %% [markdown]
# **Missing `"__all__"`.** RLlib reads `terminateds["__all__"]` and
# `truncateds["__all__"]` after every step to decide whether the episode is over.
# The env checker does not notice the missing key, so training starts, and the
# first step in the env runner fails: its vector env looks up `t["__all__"]` and
# gets a `KeyError: '__all__'`, which the env runner re-raises as a
# `RuntimeError` (the `KeyError` is shown as its cause, above it, together with
# RLlib's hint about `restart_failed_sub_environments`, which would not help
# here). No frame of the traceback is in our code: the env returned normally, and
# the problem is in *what* it returned.

# %%
print(inspect.getsource(broken_envs.UnknownAgentArena))

# %% tags=["raises-exception"]
train_once("unknown_agent")

# %% [markdown]
# **Unknown agent id.** RLlib runs its env checker when it creates the env, and
# it catches this one: the message lists the ids the env returned next to the
# ids it declared (`possible_agents`). Without the checker
# (`.environment(disable_env_checking=True)`) the typo would surface later, as
# an error about an agent no module is mapped to.

# %% [markdown]
# ## Catching them before training
#
# RLlib's checker is `check_multiagent_environments` (in
# `ray.rllib.utils.pre_checks.env`). It resets the env, takes one random step and
# checks the *shape* of what comes back: multi-agent dicts with known agent ids.
# It does not compare observations with the declared spaces, and it does not
# look for `"__all__"`. `handson_rl.arena.broken.episode_problems` plays a whole
# episode with random actions and checks those too. Run both on the real arena
# and on each broken one:

# %%
import pandas as pd

from handson_rl.arena.broken import episode_problems, rllib_check

rows = []
for name, cls in {"MultiAgentArena": MultiAgentArena, **BROKEN_ENVS}.items():
    rllib_says = rllib_check(cls())
    course_says = episode_problems(cls())
    rows.append(
        {
            "env": name,
            "RLlib's checker": "ok" if rllib_says is None else rllib_says.splitlines()[0][:70],
            "episode_problems": "ok" if not course_says else course_says[0][:90],
        }
    )
pd.set_option("display.max_colwidth", 100)
pd.DataFrame(rows).set_index("env")

# %% [markdown]
# A few seconds of checks, against minutes of training and a confusing traceback:
# run both on every new env before you train on it.

# %% [markdown]
# ## Task: a bug hunt
#
# A colleague rewrote the arena's `step()` so that it reads more easily:
# `MysteryArena` (in `handson_rl.arena.mystery`) moves each agent through
# `_move(row, col, action)` and asks `_is_new_field(cell)` whenever agent1
# enters a cell. It builds, it steps without an error, RLlib's checker passes it.
# It has **two bugs**. Find them with this chapter's tools:
#
# - `episode_problems(MysteryArena())` and `rllib_check(MysteryArena())`;
# - play a few steps by hand next to the real arena: `reset(options={"agent1_pos":
#   [row, col], "agent2_pos": [row, col], "move_order": "agent1_first"})` puts the
#   agents where you want them, and `infos` says whether a step was a new field;
# - read the code, `print(inspect.getsource(MysteryArena))`, and stop inside it:
#   a subclass whose method calls `pdb.set_trace()` and then `super()`, as
#   `WhereAmIArena` did;
# - compare a random agent1's return with chapter 2's baseline (about -0.7).
#
# The next cell is a start; add your own cells.

# %%
from handson_rl.arena.mystery import MysteryArena
from handson_rl.arena.rollout import play_episode, random_policies

print("RLlib's checker:", rllib_check(MysteryArena()) or "ok")
print("episode_problems:", episode_problems(MysteryArena()) or "ok")
returns, _ = play_episode(MysteryArena(), random_policies(), seed=0)
print(
    "one random episode in MysteryArena:",
    {agent: round(value, 1) for agent, value in returns.items()},
)

# %% [markdown]
# Fix both bugs in a subclass that overrides only the two broken methods (a
# method of yours can call `super()._move(...)` and correct what it returns). The
# check plays random episodes with your class and with the real arena side by
# side, on the 10 x 10 board and on a 4 x 6 one, and names the first difference.


# %% tags=["needs-solution"]
class FixedArena(MysteryArena):
    # BEGIN SOLUTION: Task: override the two methods of MysteryArena that have a bug (find them first), so that FixedArena plays exactly like MultiAgentArena
    def _move(self, row, col, action):
        row, col = super()._move(row, col, action)  # the bug: it clipped the row to self.height
        return min(row, self.height - 1), col

    def _is_new_field(self, cell):
        new = cell not in self._visited  # the bug: it asked after adding the cell
        self._visited.add(cell)
        return new

    # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.tasks.ch11_bug_hunt import check_bug_hunt

check_bug_hunt(FixedArena)

# %% [markdown]
# ## When the env crashes for real: fault tolerance
#
# Some crashes are not bugs you can fix: a simulator that segfaults once in a
# while, a game server that drops the connection, a cloud machine taken away.
# RLlib can carry on. With `restart_failed_env_runners=True` (RLlib's default;
# `flaky_ppo_config` sets it, plus no delay before a restart), an env runner that
# crashes is taken out of service, Ray starts a new process for it, and RLlib
# syncs the current weights to it and puts it back to work. Training goes on
# with the other runners meanwhile.
#
# Below, two env runners each step two boards of `FlakyArena` with
# `crash_prob=0.0005` (a crash once in 2,000 steps of a board on average) and
# `crash_seed=1639`, a seed picked so that the run tells a simple story, which
# `first_crash` shows before anything trains. With a batch of 400 steps, each
# board steps 100 times per iteration while both runners are healthy.
#
# A restarted runner is a new process. `FlakyArena` asks Ray how many times its
# runner's actor has been restarted and draws a new crash schedule for each
# restart, like a crash that came from bad luck rather than from a bug; without
# that, the new process would replay the old schedule and crash at the very same
# step, again and again, and restarts would not help at all.

# %%
for runner in (1, 2):
    for restarts_before in (0, 1):
        steps = [
            first_crash(0.0005, 1639, worker_index=runner, board=board, restarts=restarts_before)
            for board in (0, 1)
        ]
        print(
            f"env runner {runner}, after {restarts_before} restart(s): step() calls before "
            f"the first crash of board 0 and board 1: {steps}"
        )

# %% [markdown]
# In 16 iterations a board takes at most 16 x 200 = 3,200 steps (200 per
# iteration when its runner samples the whole batch alone). So: env runner 2's
# board 0 crashes at its 214th `step()` call (one by the env checker, then 213
# sampled steps: in the third iteration), before its board 1 would; runner 1's
# boards, and runner 2's once it is restarted, would crash only after more than
# 3,200 steps, beyond this run. (Runner 1's schedule after a restart does not
# come into play: it is never restarted.)
#
# The run prints a table, one row per iteration. `result["fault_tolerance"]`
# counts the healthy runners and the restarts. Everything Ray and RLlib print
# while the runners crash and come back (each crash's traceback from the env
# runner, Ray's notice of the dead process, RLlib's warnings) goes to a log file,
# `outputs/11_fault_tolerance.log`, through the course's `ray_output_to_file`;
# the cell prints a summary of it under the table. An error that stops training
# would still end the cell with its traceback.

# %%
import re
import time

from handson_rl.training.results import env_steps, healthy_runners, restarts

FT_ITERATIONS = pick(full=16, smoke=3)

with ray_output_to_file("outputs/11_fault_tolerance.log") as ft_log:
    config = flaky_ppo_config(
        crash_prob=0.0005,
        crash_seed=1639,
        seed=0,
        num_env_runners=2,
        num_envs_per_env_runner=2,
        train_batch_size=400,
        minibatch_size=400,
        num_epochs=1,
    )
    algo = config.build_algo()
    ft_rows = []
    start = time.perf_counter()
    for _ in range(FT_ITERATIONS):
        result = algo.train()
        ft_rows.append(
            {
                "iteration": result["training_iteration"],
                "seconds": round(time.perf_counter() - start, 1),
                "env steps": env_steps(result),
                "healthy runners": healthy_runners(result),
                "restarts so far": restarts(result),
            }
        )
    algo.stop()
ft_table = pd.DataFrame(ft_rows).set_index("iteration")
print(ft_table.to_string())

crashes = sorted(
    {
        m.group(0)
        for m in map(re.compile(r"FlakyArena crashed \(simulated\).*").search, ft_log.lines)
        if m
    }
)
print(f"\n{ft_log}:")
print(f"  env crashes (EnvCrash, each logged with its traceback by the env runner): {len(crashes)}")
for crash in crashes:
    print("     ", crash)
taken_out = ft_log.count(r"taking actor \d+ out of service")
brought_back = ft_log.count("back into service")
no_samples = ft_log.count("No samples returned from remote workers")
print(f"  runners RLlib took out of service: {taken_out}")
print(f"  runners RLlib brought back into service: {brought_back}")
print(f"  iterations in which no runner returned samples: {no_samples}")
healthy = list(ft_table["healthy runners"])
print(
    f"healthy runners: at most {max(healthy)}, at least {min(healthy)}, at the end {healthy[-1]}; "
    f"restarts: {ft_table['restarts so far'].iloc[-1]}"
)

# %% [markdown]
# Read the table with the summary. While both runners are healthy, every
# iteration adds 400 env steps. In the iteration where runner 2's board crashes,
# "healthy runners" drops to 1: RLlib takes the runner out of service and the
# iteration finishes with runner 1 alone, which samples the whole batch, so the
# env steps still grow by 400. Meanwhile Ray starts a new process for runner 2.
# When it is up, RLlib checks that it answers, syncs the current weights to it
# and brings it back into service: "healthy runners" is 2 again and
# "restarts so far" 1. How many iterations that takes depends on how fast the
# machine starts a process (seconds on an idle laptop, much longer on a busy
# one), so your table may show the 1 for more or fewer rows. (At the smoke
# budget, 3 iterations, the table ends before the restart.) Training itself
# never stopped.
#
# The other lines in the log file, for the record: the env runner logs each
# crash twice (in `env_runner.py`, then in `actor_manager.py` as it ends its
# process, as in the first error above); Ray adds `(raylet) A worker died or
# was killed ...`; RLlib logs `ERROR ... The actor ... is unavailable`
# followed by a line `NoneType: None`, which is not a second error: RLlib calls
# `logger.exception()` outside an exception handler, and Python then prints
# `NoneType: None` where a traceback would go. If no runner at all were healthy,
# each such iteration would log `No samples returned from remote workers` and add
# no env steps. And once, while the runners are built, Ray's C++ core logs
# `core_worker.cc ... has constructor arguments in the object store and
# max_restarts > 0 ... the actor restart will fail`: a general caution for actors
# Ray may restart (their constructor's arguments must still exist when it does).
# RLlib keeps the config those arguments refer to for the algorithm's whole life,
# so it does not apply here: the restart above worked.
#
# A lighter option for flaky *envs* (rather than flaky machines) is
# `.fault_tolerance(restart_failed_sub_environments=True)`: the env runner catches
# the env's exception itself, re-creates its envs and goes on in the same
# process; the episodes in progress are dropped, and
# `result["env_runners"]["num_env_step_failures"]` counts the failures. With this
# setting on, an env can also raise `ray.rllib.env.env_runner.StepFailedRecreateEnvError`
# to ask for exactly this recovery without RLlib logging the error (for a failure
# the env expects, such as a lost connection to a simulator). The setting is what
# makes it quiet: with `restart_failed_sub_environments=False` RLlib logs that
# exception like any other and raises it again as a `RuntimeError`
# (`EnvRunner._try_env_step` in `ray/rllib/env/env_runner.py`).

# %%
config = flaky_ppo_config(
    crash_prob=0.002, crash_seed=1, seed=0, num_env_runners=0, **SMALL
).fault_tolerance(restart_failed_sub_environments=True)
# RLlib logs each handled failure with its traceback: to a file again.
with ray_output_to_file("outputs/11_sub_environment_restarts.log") as sub_log:
    algo = config.build_algo()
    for _ in range(3):  # until at least one crash has happened
        result = algo.train()
        failures = result["env_runners"].get("num_env_step_failures", 0)  # absent until the first
        if failures:
            break
    algo.stop()
print(
    f"after {result['training_iteration']} iteration(s): {failures:.0f} env step failure(s) "
    "handled inside the runner, training went on"
)
print(
    f"{sub_log}; 'Environment step failed. Will force reset env(s)' logged "
    f"{sub_log.count('Will force reset env')} time(s)"
)

# %% [markdown]
# ## Where Ray keeps its logs, and how to look at a running Ray
#
# Every Ray instance writes a *session* folder in Ray's temp dir (`/tmp/ray` by
# default), named by `ray.get_runtime_context().get_session_name()`;
# `session_latest` points to the newest, which is yours only while no other Ray
# (a second notebook, a test run) started after it. Its `logs/` folder has one
# file per process: `raylet.out` (the node's
# scheduler), `gcs_server.out` (the head's directory), and `worker-*.out` /
# `worker-*.err` for every worker process, which is where an env runner's
# `print`s and tracebacks end up, even when nobody was watching.

# %%
from pathlib import Path

context = ray.get_runtime_context()
session = Path(context.get_temp_dir()) / context.get_session_name() / "logs"
print(session)
logs = sorted(p.name for p in session.iterdir())
print(
    len(logs),
    "files, e.g.",
    [name for name in logs if name.startswith(("raylet", "gcs_server"))][:4],
)

# %% [markdown]
# Three tools to look at a running Ray:
#
# - **`ray status`** (in a terminal, or with `!` in a notebook): the nodes and how
#   much of their CPUs, GPUs and memory is in use. The first thing to check when
#   training hangs: an actor waiting for a CPU that nobody frees.
# - **`ray list actors`**, `ray list tasks`, `ray logs actor --id ...` (Ray's
#   *state API*, also in Python as `ray.util.state.list_actors()`): every actor
#   with its state (`ALIVE`, `DEAD` with the reason), node and process id. They
#   ask the dashboard's server, so they need a Ray started with the dashboard
#   (as chapter 10's cluster is; this notebook's `ray.init(...,
#   include_dashboard=False)` is not).
# - **The dashboard** (`http://127.0.0.1:8265` by default when it runs): the same
#   in a browser, plus logs of every worker, CPU and memory graphs, and a stack
#   trace of any worker at the click of a button, handy when something hangs.
#
# `ray status` needs the address and, since token authentication is on, the
# token: `ray.init()` turned it on for this process, and subprocesses inherit it.

# %%
import subprocess

from handson_rl.tools.cluster import ray_command

address = ray.get_runtime_context().gcs_address
print(
    subprocess.run(
        [ray_command(), "status", "--address", address], capture_output=True, text=True, timeout=120
    ).stdout
)

# %%
ray.shutdown()

# %% [markdown]
# ## Recap
#
# - Debug with `num_env_runners=0`: everything runs in your process, so
#   `pdb.set_trace()`, `%debug` and `print` work. In a notebook `breakpoint()` is
#   skipped (unless JupyterLab's debugger is on); in a script after `ray.init()` it
#   waits for Ray's Distributed Debugger (`RAY_DEBUG=legacy` gives pdb instead).
# - A remote error reaches you as a Ray error (the actor died); the original
#   exception is in the `(MultiAgentEnvRunner pid=...)` lines and in the worker's
#   log.
# - Wrong spaces, a missing `"__all__"` and unknown agent ids each fail in their
#   own way; RLlib's checker catches the last, `episode_problems` all three.
# - `restart_failed_env_runners` (and `restart_failed_sub_environments`) keep
#   training going through crashes; `result["fault_tolerance"]` counts restarts.
# - Logs live in `<temp dir>/<session name>/logs` (`session_latest` is the
#   newest); `ray status`, `ray list actors` and the dashboard show a running Ray.
#
# **Try next:** set `"break": True` in the first training cell and step through
# the arena's `step()`; write your own broken env (a reward for an agent that did
# not act) and see which check catches it.

# %%
from handson_rl.progress_report import show_progress

show_progress(11)
