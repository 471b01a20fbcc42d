"""Chapter 10's task: env-runner settings that fit a described cluster.

The learner writes ``fit_cluster(config, nodes, cpus_per_runner)``: ``nodes`` maps
each node's name to its CPUs (as ``ray status`` lists them; the driver, with the
Learner in it, runs on ``"head"``), ``cpus_per_runner`` is what one env runner
needs. It returns ``config`` with as many env runners as Ray can place at once,
each reserving ``cpus_per_runner`` CPUs, keeping one CPU of the head node for the
driver. Ray places an actor on one node only, so the count is per node:
``(head - 1) // cpus_per_runner`` plus ``workers // cpus_per_runner`` for each worker.

The checker calls it on a few clusters (no Ray, no algorithm built), reads what the
config asks Ray for with :func:`~handson_rl.training.cpus.remote_cpus` (the same
logic that refuses a build that cannot fit), and names the usual mistakes: the
total CPUs divided as if an actor could span nodes, no CPU left for the driver,
the runners' CPUs not set, the first node taken for the head, a number written in for
one cluster.
"""

from __future__ import annotations

from collections.abc import Callable

from handson_rl.exercises.common import checker, fail

TASK_ID = "task-ch10-fit"

#: (nodes, CPUs per env runner): the lesson's cluster first. Together they tell the
#: mistakes below apart (each gives its own list of counts).
CLUSTERS = (
    ({"head": 4, "worker1": 7, "worker2": 7}, 2),
    ({"head": 8, "worker1": 16, "worker2": 16}, 4),
    ({"head": 3, "worker1": 5, "worker2": 5, "worker3": 5}, 3),
    ({"head": 2}, 1),
    ({"head": 1, "worker1": 4}, 2),
    ({"worker1": 6, "worker2": 6, "head": 5}, 2),  # the head is found by its name
)


def right_count(nodes: dict, per: int) -> int:
    """Env runners Ray can place at once, one head CPU kept for the driver."""
    return sum((cpus - (name == "head")) // per for name, cpus in nodes.items())


#: Typical wrong counts: (how it is computed, what to say).
MISTAKES = (
    (
        lambda nodes, per: sum(nodes.values()) // per,
        "That is the cluster's total CPUs divided by the CPUs per runner. Ray places each "
        "actor on ONE node, so a node's leftover CPUs (fewer than one runner needs) cannot "
        "be combined with another node's; and the driver needs a CPU of the head. Count per "
        "node: sum of cpus // cpus_per_runner, with the head's cpus - 1.",
    ),
    (
        lambda nodes, per: sum(cpus // per for cpus in nodes.values()),
        "You counted per node (right: an actor lives on one node), but used all of the head "
        "node's CPUs. The driver runs there, with the Learner in it (num_learners=0), and Ray "
        "reserves nothing for it: keep one head CPU free, (nodes['head'] - 1) // cpus_per_runner.",
    ),
    (
        lambda nodes, per: (sum(nodes.values()) - 1) // per,
        "You kept a CPU for the driver, but divided the cluster's total CPUs as if a runner "
        "could take CPUs from two nodes. Ray places each actor on ONE node: count per node, "
        "cpus // cpus_per_runner for each (the head's cpus - 1), and add the counts.",
    ),
    (
        lambda nodes, per: sum((cpus - (i == 0)) // per for i, cpus in enumerate(nodes.values())),
        "You kept a CPU of the first node listed, which is the head in most of the clusters "
        'but not in all: the head is the node named "head", wherever it stands in `nodes` '
        '(the last cluster lists it last). Keep the CPU of nodes["head"].',
    ),
)


def _describe(nodes: dict, per: int) -> str:
    shown = ", ".join(f"{name} {cpus} CPUs" for name, cpus in nodes.items())
    return f"the cluster ({shown}; {per} CPU(s) per env runner)"


def _run(fit_cluster: Callable, nodes: dict, per: int):
    from ray.rllib.algorithms.algorithm_config import AlgorithmConfig

    from handson_rl.training.config import arena_ppo_config

    try:
        config = fit_cluster(arena_ppo_config(), dict(nodes), per)
    except Exception as err:  # the learner's own error
        fail(f"Your fit_cluster(config, {nodes}, {per}) raised {type(err).__name__}: {err}.", err)
    if not isinstance(config, AlgorithmConfig):
        fail(
            f"fit_cluster returned {type(config).__name__} {config!r:.60}; return the config "
            "itself: `return config.env_runners(num_env_runners=..., num_cpus_per_env_runner=...)` "
            "(the config's methods return the config)."
        )
    return config


def _counts(fit_cluster: Callable) -> list:
    """(nodes, per, config) for every cluster; fails at once on a wrong CPU size."""
    from handson_rl.training.cpus import remote_cpus

    found = []
    for nodes, per in CLUSTERS:
        config = _run(fit_cluster, nodes, per)
        if float(config.num_cpus_per_env_runner) != per:
            fail(
                f"For {_describe(nodes, per)} your config asks Ray for "
                f"{remote_cpus(config).describe()}: each env runner must reserve the "
                f"{per} CPU(s) it needs, or Ray packs more runners onto a node than it has "
                "cores for. Set num_cpus_per_env_runner=cpus_per_runner in .env_runners()."
            )
        found.append((nodes, per, config))
    return found


def _explain(found: list) -> None:
    got = [int(config.num_env_runners) for _, _, config in found]
    for count, says in MISTAKES:
        if got == [count(nodes, per) for nodes, per, _ in found]:
            # the first cluster this mistake gets wrong
            i = next(i for i, (n, p, _) in enumerate(found) if got[i] != right_count(n, p))
            nodes, per, _ = found[i]
            fail(
                f"For {_describe(nodes, per)} your config asks for {got[i]} env runners; "
                f"{right_count(nodes, per)} fit. {says}"
            )
    if len(set(got)) == 1:
        fail(
            f"fit_cluster gives {got[0]} env runners for every cluster: compute the count "
            "from `nodes` and `cpus_per_runner` instead of writing in the lesson cluster's."
        )
    for (nodes, per, _config), n in zip(found, got):
        if n != right_count(nodes, per):
            fail(
                f"For {_describe(nodes, per)} your config asks for {n} env runners; "
                f"{right_count(nodes, per)} fit at once. For each node, cpus // "
                "cpus_per_runner runners fit (an actor lives on one node); on the head, "
                "keep one CPU for the driver first."
            )


@checker
def check_fit_cluster(fit_cluster: Callable) -> None:
    """Check chapter 10's task: ``fit_cluster(config, nodes, cpus_per_runner)`` sets as
    many env runners as fit on the nodes at once, each with ``cpus_per_runner`` CPUs."""
    from handson_rl.training.cpus import remote_cpus

    if not callable(fit_cluster):
        fail(
            f"Pass your function itself: check_fit_cluster(fit_cluster); got "
            f"{type(fit_cluster).__name__}."
        )
    found = _counts(fit_cluster)
    _explain(found)
    nodes, per, config = found[0]
    print(
        f"Task solved: on {_describe(nodes, per)} your config asks Ray for "
        f"{remote_cpus(config).describe()}, all of which Ray can place at once, with a "
        f"CPU of the head left for the driver; right for {len(CLUSTERS) - 1} other clusters too."
    )
    from handson_rl.exercises.tasks import task
    from handson_rl.progress import record

    record(task(TASK_ID))
