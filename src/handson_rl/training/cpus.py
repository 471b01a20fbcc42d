"""CPUs an algorithm asks Ray for, and what to do when they are not free.

Ray starts an actor only when the CPUs it asks for are free, and waits for them
without a word. An algorithm's env runners (and remote learners) are actors that
hold their CPUs until ``algo.stop()``: on ``ray.init(num_cpus=2)``, the course
config's two env runners take both CPUs, so building a second algorithm while
the first is alive (a build cell run twice, say) would wait forever.

:func:`make_room` runs before every build of the course config
(:class:`~handson_rl.training.config.CoursePPOConfig`) and before the first trial
of a Tune run shown with :class:`~handson_rl.tools.tuning.TuneProgress`:

- enough CPUs free: nothing happens;
- more CPUs asked for than this Ray has at all: a :class:`NotEnoughCPUsError`
  at once, saying how many and what to change;
- otherwise it stops the algorithms this Python process built through the course
  config (or restored with ``load_algorithm``) earlier, oldest first, only those
  holding CPUs, each named in one printed line, until the CPUs are free, and
  raises :class:`NotEnoughCPUsError` within seconds if something else holds them.
"""

from __future__ import annotations

import gc
import itertools
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

#: How long to wait for Ray to hand back CPUs that were just released.
WAIT_S = 8.0

_ORDER = itertools.count()
# algorithm -> (build order, monotonic build time); weak, so a dropped algorithm
# disappears from it.
_BUILT: weakref.WeakKeyDictionary[object, tuple[int, float]] = weakref.WeakKeyDictionary()


class NotEnoughCPUsError(RuntimeError):
    """Ray does not have the CPUs an algorithm or a Tune trial asks for."""


@dataclass
class CPURequest:
    """CPUs asked of Ray, and a few words on what for (e.g. "2 env runners x 1 CPU")."""

    cpus: float
    parts: list[str]

    def describe(self) -> str:
        return " + ".join(self.parts) if self.parts else "no remote actors"


def _per_learner(config) -> float:
    if config.num_cpus_per_learner != "auto":
        return float(config.num_cpus_per_learner)
    return 1.0 if config.num_gpus_per_learner == 0 else 0.0


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def remote_cpus(config) -> CPURequest:
    """CPUs the algorithm built from ``config`` asks Ray for outside this process.

    Its env runners, its evaluation env runners (when evaluation runs on remote
    ones) and its remote learners (``num_learners > 0``). The algorithm itself,
    and with ``num_learners=0`` its learner, run in this process and reserve
    nothing. (Under Tune a trial also reserves CPUs for its own process: see
    ``trial_cpus`` in ``handson_rl.tools.tuning``.)
    """
    parts, cpus = [], 0.0
    runners, per_runner = int(config.num_env_runners), float(config.num_cpus_per_env_runner)
    if runners and per_runner:
        parts.append(f"{_plural(runners, 'env runner')} x {per_runner:g} CPU")
        cpus += runners * per_runner
    if config.evaluation_interval and config.evaluation_num_env_runners:
        evaluation = config.get_evaluation_config_object()
        count = int(config.evaluation_num_env_runners)
        per = float(evaluation.num_cpus_per_env_runner)
        if per:
            parts.append(f"{_plural(count, 'evaluation env runner')} x {per:g} CPU")
            cpus += count * per
    if config.num_learners:
        per = _per_learner(config) + config.num_aggregator_actors_per_learner
        if per:
            parts.append(f"{_plural(int(config.num_learners), 'remote learner')} x {per:g} CPU")
            cpus += config.num_learners * per
    elif config.num_aggregator_actors_per_learner:
        parts.append(f"{config.num_aggregator_actors_per_learner} aggregator actor(s) x 1 CPU")
        cpus += config.num_aggregator_actors_per_learner
    return CPURequest(cpus, parts)


def held_cpus(algo) -> float:
    """CPUs ``algo``'s remote actors hold right now (0 once it is stopped)."""
    config = algo.config
    held = 0.0
    group = getattr(algo, "env_runner_group", None)
    if group is not None:
        held += group.num_remote_env_runners() * float(config.num_cpus_per_env_runner)
    evaluation = getattr(algo, "eval_env_runner_group", None)
    if evaluation is not None:
        per = float(config.get_evaluation_config_object().num_cpus_per_env_runner)
        held += evaluation.num_remote_env_runners() * per
    learners = getattr(algo, "learner_group", None)
    if (
        learners is not None
        and learners.is_remote
        and not getattr(learners, "_is_shut_down", False)
    ):
        held += len(learners) * (_per_learner(config) + config.num_aggregator_actors_per_learner)
    return held


def track(algo) -> None:
    """Remember ``algo`` (weakly) as built in this process through the course config."""
    _BUILT[algo] = (next(_ORDER), time.monotonic())


def tracked() -> list:
    """The algorithms :func:`track` remembers that still hold CPUs, oldest first."""
    alive = [(order, algo) for algo, (order, _) in list(_BUILT.items())]
    return [algo for _, algo in sorted(alive, key=lambda pair: pair[0]) if held_cpus(algo) > 0]


def _free_cpus() -> float:
    import ray

    return float(ray.available_resources().get("CPU", 0.0))


def _wait_for(cpus: float, seconds: float, free: Callable[[], float] | None = None) -> bool:
    free = free or _free_cpus
    deadline = time.monotonic() + seconds
    while True:
        if free() >= cpus:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _names_of(obj) -> list[str]:
    """The notebook variables bound to ``obj`` (empty outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always installed here
        return []
    shell = get_ipython()
    if shell is None:
        return []
    return [
        name
        for name, value in list(shell.user_ns.items())
        if value is obj and not name.startswith("_")
    ]


def _label(algo) -> str:
    names = _names_of(algo)
    built = _BUILT.get(algo)
    age = f", built {time.monotonic() - built[1]:.0f} s ago" if built else ""
    name = " or ".join(f"`{n}`" for n in names) if names else "an earlier algorithm"
    return f"{name} ({type(algo).__name__}{age}, holding {held_cpus(algo):g} CPUs)"


def total_cpus() -> float:
    import ray

    return float(ray.cluster_resources().get("CPU", 0.0))


def _too_many(request: CPURequest, what: str, total: float) -> NotEnoughCPUsError:
    return NotEnoughCPUsError(
        f"{what} needs {request.cpus:g} CPUs ({request.describe()}), but this Ray has only "
        f"{total:g} in all, so it could never start: Ray would wait for them forever. "
        "Ask for fewer: num_env_runners=0 samples in the algorithm's own process and "
        "needs no extra CPU (arena_ppo_config(num_env_runners=0), or "
        "config.env_runners(num_env_runners=0)); or give Ray more CPUs, if the "
        "machine has them (ray.shutdown(), then ray.init(num_cpus=...))."
    )


def _held_elsewhere(
    request: CPURequest, what: str, free: float, total: float
) -> NotEnoughCPUsError:
    return NotEnoughCPUsError(
        f"{what} needs {request.cpus:g} CPUs ({request.describe()}), but only {free:g} of "
        f"this Ray's {total:g} CPUs are free, and no algorithm built with the course's "
        "config holds them. Something else does: an algorithm built from your own "
        "PPOConfig or restored from a checkpoint (call its .stop()), a Tune run, or "
        "actors of your own. Stop what you no longer need, or use num_env_runners=0 "
        "(it samples in the algorithm's own process and needs no extra CPU). "
        "(Without this check Ray would wait for the CPUs forever, without a word.)"
    )


def _stop(algo) -> float:
    label, held = _label(algo), held_cpus(algo)
    algo.stop()
    print(
        f"Stopped {label} to free CPUs: an algorithm holds its env runners' CPUs until algo.stop()."
    )
    return held


def free_cpus_for_tune() -> float:
    """CPUs a Tune trial could get: the free ones plus those Tune's placement
    groups have reserved already (Tune reserves a trial's CPUs the moment they are
    free, before the trial starts; outside Tune nothing in the course makes
    placement groups)."""
    from ray.util import placement_group_table

    reserved = 0.0
    for info in placement_group_table().values():
        if info.get("state") == "CREATED":
            reserved += sum(float(b.get("CPU", 0.0)) for b in info.get("bundles", {}).values())
    return _free_cpus() + reserved


def make_room(
    request: CPURequest,
    *,
    what: str = "This algorithm",
    wait_s: float = WAIT_S,
    free: Callable[[], float] | None = None,
) -> None:
    """Return once ``request.cpus`` CPUs are free in this Ray, or raise within seconds.

    See the module docstring. ``free`` counts the CPUs free for this request
    (default: Ray's free CPUs; :func:`free_cpus_for_tune` for a Tune trial). Does
    nothing when Ray is not running (building starts Ray itself) or when nothing
    is asked for.
    """
    import ray

    if request.cpus <= 0 or not ray.is_initialized():
        return
    free = free or _free_cpus
    total = total_cpus()
    if request.cpus > total:
        raise _too_many(request, what, total)
    if free() >= request.cpus:
        return
    # Algorithms nobody refers to any more release their actors once collected.
    gc.collect()
    if _wait_for(request.cpus, min(1.0, wait_s), free):
        return
    for algo in tracked():
        _stop(algo)
        if _wait_for(request.cpus, wait_s, free):
            return
    # CPUs released a moment ago (an algorithm stopped by the cell before) can take
    # a few seconds to come back on a busy machine.
    if _wait_for(request.cpus, wait_s, free):
        return
    raise _held_elsewhere(request, what, free(), total)
