"""Chapter 10's task (env-runner settings that fit a described cluster): the
reference answer, one written differently, and each named mistake. No Ray is
started and no algorithm built: configs only, well under a second."""

import pytest

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.tasks.ch10_fit import check_fit_cluster
from handson_rl.progress import passed

#: A fresh progress file and a learner at the keyboard (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("progress_file")


def reference(config, nodes, cpus_per_runner):  # the lesson's solution
    runners = sum(
        (cpus - 1 if name == "head" else cpus) // cpus_per_runner for name, cpus in nodes.items()
    )
    return config.env_runners(num_env_runners=runners, num_cpus_per_env_runner=cpus_per_runner)


def with_a_loop(config, nodes, cpus_per_runner):  # right, written differently
    free = dict(nodes)
    free["head"] -= 1  # the driver's
    runners = 0
    for name in free:
        while free[name] >= cpus_per_runner:
            free[name] -= cpus_per_runner
            runners += 1
    config.env_runners(num_cpus_per_env_runner=float(cpus_per_runner))
    config.env_runners(num_env_runners=runners)
    return config


@pytest.mark.parametrize("answer", [reference, with_a_loop])
def test_right_answers_pass(answer, capsys, progress_file):
    check_fit_cluster(answer)
    out = capsys.readouterr().out
    assert out.startswith("Task solved") and "7 env runners x 2 CPU" in out
    assert "task-ch10-fit" in passed(progress_file)


def total_divided(config, nodes, per):
    return config.env_runners(
        num_env_runners=sum(nodes.values()) // per, num_cpus_per_env_runner=per
    )


def no_driver_cpu(config, nodes, per):
    return config.env_runners(
        num_env_runners=sum(c // per for c in nodes.values()), num_cpus_per_env_runner=per
    )


def total_minus_driver(config, nodes, per):
    return config.env_runners(
        num_env_runners=(sum(nodes.values()) - 1) // per, num_cpus_per_env_runner=per
    )


def cpus_not_set(config, nodes, per):
    return config.env_runners(
        num_env_runners=reference(config, nodes, per).num_env_runners, num_cpus_per_env_runner=1
    )


def hard_coded(config, nodes, per):
    return config.env_runners(num_env_runners=7, num_cpus_per_env_runner=per)


def no_return(config, nodes, per):
    reference(config, nodes, per)


def off_by_one(config, nodes, per):
    return config.env_runners(
        num_env_runners=reference(config, nodes, per).num_env_runners + 1,
        num_cpus_per_env_runner=per,
    )


def first_node_as_head(config, nodes, cpus_per_runner):
    count = 0
    for i, cpus in enumerate(nodes.values()):
        count += (cpus - 1 if i == 0 else cpus) // cpus_per_runner
    return config.env_runners(num_env_runners=count, num_cpus_per_env_runner=cpus_per_runner)


@pytest.mark.parametrize(
    "answer, says",
    [
        (total_divided, "total CPUs divided by the CPUs per runner"),
        (no_driver_cpu, "used all of the head node's CPUs"),
        (total_minus_driver, "kept a CPU for the driver, but divided the cluster's total"),
        (cpus_not_set, "Set num_cpus_per_env_runner=cpus_per_runner"),
        (hard_coded, "for every cluster"),
        (no_return, "fit_cluster returned NoneType"),
        (off_by_one, "8 env runners; 7 fit at once"),
        (first_node_as_head, "the head is the node named"),
        ("fit_cluster", "Pass your function itself"),
    ],
)
def test_each_mistake_is_named(answer, says, progress_file):
    with pytest.raises(ExerciseError, match=says):
        check_fit_cluster(answer)
    assert not passed(progress_file)
