"""Chapter 6's task: restore a checkpoint from disk and evaluate it both ways.

The learner writes ``evaluate_both_ways(checkpoint_dir, episodes, seed)``: restore
the modules ``p1`` (agent1) and ``p2`` (agent2) from the checkpoint at
``checkpoint_dir`` and return ``{"sampled": ..., "greedy": ...}``, each what
:func:`~handson_rl.arena.rollout.mean_returns` returns for ``episodes`` episodes
from ``seed`` (or a plain mean return per agent).

The checker does not hand over the chapter's checkpoint as it is. It writes a
*probe* checkpoint to a temporary folder: the chapter's modules with their policy
heads changed, so that each module's greedy action is the same in every cell (p1
always right, p2 always up) while sampling stays close to uniform. Only a
function that restores from the path it is given plays these modules, and
greedy play with them is deterministic: the checker computes the exact greedy
figures and compares; the sampled ones must look like (nearly) uniform play, far
from the greedy ones. Each usual mistake gives figures of its own: the notebook's
modules in memory, greedy play that samples, sampled play that is greedy, the two
modules swapped, the two results swapped.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from handson_rl.exercises.common import checker, fail

TASK_ID = "task-ch6-both-ways"
#: Episodes and first seed the checker asks for (few: the probe modules are cheap to play).
EPISODES, SEED = 5, 321
#: Policy-head biases of the probe modules: greedy p1 always goes right (1), p2 up (0);
#: sampling stays close to uniform.
PROBE_BIAS = {"p1": (0.0, 0.3, 0.0, 0.0), "p2": (0.3, 0.0, 0.0, 0.0)}
#: Sampled play (near-uniform) scores agent1 far above greedy play with the probes
#: (which walks into the right wall and stays): at least this much more.
SAMPLED_MARGIN = 10.0
AGENTS = ("agent1", "agent2")


def _probe(module, bias):
    """``module`` with its policy head's weights zeroed and its bias set to ``bias``."""
    import torch
    from torch import nn

    heads = [m for m in module.pi.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        heads[-1].weight.zero_()
        heads[-1].bias.copy_(torch.tensor(bias, dtype=heads[-1].bias.dtype))
    return module


def write_probe(checkpoint_dir, target: Path) -> dict:
    """Write the probe checkpoint to ``target``; return its modules {"p1": ..., "p2": ...}."""
    from handson_rl.training.checkpoints import MODULE_SUBDIR, load_module, module_path

    modules = {}
    module_path(checkpoint_dir, "p1")  # a clear error if it is not a checkpoint with modules
    shutil.copy(Path(checkpoint_dir) / "rllib_checkpoint.json", target)
    for module_id, bias in PROBE_BIAS.items():
        module = _probe(load_module(checkpoint_dir, module_id), bias)
        module.save_to_path(str(target / MODULE_SUBDIR / module_id))
        modules[module_id] = module
    return modules


def greedy(modules: dict, swap: bool = False) -> dict:
    """Mean greedy return per agent with ``modules`` (deterministic: with the probe
    modules the same in every episode, whatever the seed)."""
    from handson_rl.arena.rollout import mean_returns
    from handson_rl.training.policies import ModulePolicy

    order = ("p2", "p1") if swap else ("p1", "p2")
    policies = {a: ModulePolicy(modules[m], explore=False) for a, m in zip(AGENTS, order)}
    return {a: v["mean"] for a, v in mean_returns(policies, EPISODES, seed=SEED).items()}


def _means(result, key: str) -> dict:
    """``result[key]`` as {agent: mean}, or a message saying what it should be."""
    if not isinstance(result, dict) or set(result) != {"sampled", "greedy"}:
        shown = sorted(map(str, result)) if isinstance(result, dict) else type(result).__name__
        fail(
            f"evaluate_both_ways should return a dict with the keys 'sampled' and 'greedy'; "
            f"it returned {shown!s:.100}."
        )
    part = result[key]
    if not isinstance(part, dict) or set(part) != set(AGENTS):
        fail(
            f"result[{key!r}] should have one entry per agent, like mean_returns(...) "
            f"returns: {{'agent1': ..., 'agent2': ...}}; got {str(part)[:100]}."
        )
    means = {}
    for agent, value in part.items():
        value = value.get("mean") if isinstance(value, dict) else value
        try:
            means[agent] = float(value)
        except (TypeError, ValueError):
            fail(
                f"result[{key!r}][{agent!r}] should be a mean return (a number, or "
                f"mean_returns' {{'mean': ..., 'sem': ...}}); got {value!r:.80}."
            )
    return means


def _same(a: dict, b: dict) -> bool:
    return all(math.isclose(a[k], b[k], abs_tol=1e-6) for k in AGENTS)


def _explain_greedy(got: dict, want: dict, probes: dict, originals: dict) -> None:
    shown = {a: round(v, 2) for a, v in got.items()}
    head = (
        f"Your 'greedy' figures are {shown}; greedy play with the modules in the "
        f"checkpoint you were given gives { ({a: round(v, 2) for a, v in want.items()}) }."
    )
    if _same(got, greedy(originals)):
        fail(
            f"{head} Yours are those of the chapter's trained modules: your function does "
            "not restore from `checkpoint_dir` (the check passed another checkpoint). Load "
            "both modules from the path you are given: load_module(checkpoint_dir, 'p1')."
        )
    if _same(got, greedy(probes, swap=True)):
        fail(
            f"{head} Yours come from the two modules swapped: agent1 plays with module "
            "'p1', agent2 with 'p2'."
        )
    if got["agent1"] > want["agent1"] + SAMPLED_MARGIN:
        fail(
            f"{head} Yours look like sampled play, by one agent or by both: greedy policies "
            "always take the most likely action, and ModulePolicy samples unless you pass "
            "explore=False. Pass it to both agents' policies, agent1's and agent2's."
        )
    fail(
        f"{head} Greedy play is ModulePolicy(module, explore=False) for each agent, played "
        "with mean_returns(policies, episodes, seed=seed)."
    )


def _check_sampled(got: dict, want_greedy: dict) -> None:
    if _same(got, want_greedy):
        fail(
            "Your 'sampled' figures are exactly those of greedy play: the sampled policies "
            "must sample, ModulePolicy(module, seed=...) without explore=False (sampling is "
            "its default, as in RLlib's evaluation)."
        )
    if got["agent1"] < want_greedy["agent1"] + SAMPLED_MARGIN:
        fail(
            f"Your 'sampled' figures ({ {a: round(v, 2) for a, v in got.items()} }) are not "
            "what sampling from the checkpoint's modules gives (the check's modules sample "
            f"almost uniformly; agent1 should score far above its greedy "
            f"{want_greedy['agent1']:+.1f}). Sample with ModulePolicy(module, seed=...) "
            "from the modules you restored."
        )


def _call(evaluate_both_ways: Callable, path: Path):
    try:
        return evaluate_both_ways(str(path), EPISODES, SEED)
    except Exception as err:  # the learner's own error
        fail(
            f"Your evaluate_both_ways(checkpoint_dir, {EPISODES}, {SEED}) raised "
            f"{type(err).__name__}: {err}. (The check passed a checkpoint that holds only the "
            "two modules: restore them with load_module(checkpoint_dir, module_id).)",
            err,
        )


@checker
def check_both_ways(evaluate_both_ways: Callable, checkpoint_dir) -> None:
    """Check chapter 6's task: ``evaluate_both_ways(checkpoint_dir, episodes, seed)``
    restores p1 and p2 from disk and evaluates them sampled and greedy."""
    from handson_rl.training.checkpoints import load_module

    if not callable(evaluate_both_ways):
        fail(
            f"Pass your function itself: check_both_ways(evaluate_both_ways, checkpoint_dir); "
            f"got {type(evaluate_both_ways).__name__}."
        )
    originals = {m: load_module(checkpoint_dir, m) for m in PROBE_BIAS}
    with tempfile.TemporaryDirectory(prefix="probe_checkpoint_") as tmp:
        probes = write_probe(checkpoint_dir, Path(tmp))
        result = _call(evaluate_both_ways, Path(tmp))
    want = greedy(probes)
    got_greedy, got_sampled = _means(result, "greedy"), _means(result, "sampled")
    if _same(got_sampled, want) and not _same(got_greedy, want):
        fail(
            "Your 'sampled' figures are those of greedy play, and your 'greedy' ones are "
            "not: the two are swapped. result['greedy'] is the explore=False one."
        )
    if not _same(got_greedy, want):
        _explain_greedy(got_greedy, want, probes, originals)
    _check_sampled(got_sampled, want)
    print(
        "Task solved: your function restored both modules from the checkpoint it was given "
        "(the check passed one with changed modules) and evaluated them both ways: the "
        f"greedy figures are exactly right ({json.dumps({a: round(v, 2) for a, v in want.items()})}), "
        "the sampled ones are those of sampling."
    )
    from handson_rl.exercises.tasks import task
    from handson_rl.progress import record

    record(task(TASK_ID))
