"""Chapter 6's task (restore a checkpoint from disk, evaluate it sampled and
greedy): the reference answer, one written differently, and each named mistake.
No Ray, no training: the checkpoint is made of the pre-trained modules; a few
seconds in all."""

import json

import pytest

from handson_rl.arena import MultiAgentArena
from handson_rl.arena.rollout import mean_returns, play_episode
from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.tasks.ch06_both_ways import check_both_ways
from handson_rl.progress import passed
from handson_rl.training.checkpoints import MODULE_SUBDIR, load_module
from handson_rl.training.policies import ModulePolicy
from handson_rl.training.pretrained import load_pretrained

#: A fresh progress file and a learner at the keyboard (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("progress_file")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint with the layout algo.save_to_path() writes, holding the pre-trained modules."""
    root = tmp_path_factory.mktemp("checkpoint")
    (root / "rllib_checkpoint.json").write_text(json.dumps({"type": "Algorithm"}))
    for module_id, module in load_pretrained().items():
        module.save_to_path(str(root / MODULE_SUBDIR / module_id))
    return str(root)


def reference(checkpoint_dir, episodes, seed):  # the lesson's solution
    p1, p2 = load_module(checkpoint_dir, "p1"), load_module(checkpoint_dir, "p2")
    sampled = {"agent1": ModulePolicy(p1, seed=seed), "agent2": ModulePolicy(p2, seed=seed + 1)}
    greedy = {"agent1": ModulePolicy(p1, explore=False), "agent2": ModulePolicy(p2, explore=False)}
    return {
        "sampled": mean_returns(sampled, episodes, seed=seed),
        "greedy": mean_returns(greedy, episodes, seed=seed),
    }


def own_loop(checkpoint_dir, episodes, seed):  # right, written differently: plain means
    from ray.rllib.core.rl_module.rl_module import RLModule

    modules = {
        a: RLModule.from_checkpoint(f"{checkpoint_dir}/learner_group/learner/rl_module/{m}")
        for a, m in (("agent1", "p1"), ("agent2", "p2"))
    }
    out = {}
    for name, explore in (("greedy", False), ("sampled", True)):
        policies = {a: ModulePolicy(m, explore=explore, seed=99) for a, m in modules.items()}
        totals = {"agent1": 0.0, "agent2": 0.0}
        env = MultiAgentArena()
        for i in range(episodes):
            returns, _ = play_episode(env, policies, seed=seed + i)
            for a in totals:
                totals[a] += returns[a] / episodes
        out[name] = totals
    return out


@pytest.mark.parametrize("answer", [reference, own_loop])
def test_right_answers_pass(answer, checkpoint, capsys, progress_file):
    check_both_ways(answer, checkpoint)
    assert capsys.readouterr().out.startswith("Task solved")
    assert "task-ch6-both-ways" in passed(progress_file)


def make_in_memory(checkpoint):
    p1, p2 = load_module(checkpoint, "p1"), load_module(checkpoint, "p2")

    def in_memory(checkpoint_dir, episodes, seed):  # the notebook's modules, not the path's
        sampled = {"agent1": ModulePolicy(p1, seed=1), "agent2": ModulePolicy(p2, seed=2)}
        greedy = {
            "agent1": ModulePolicy(p1, explore=False),
            "agent2": ModulePolicy(p2, explore=False),
        }
        return {
            "sampled": mean_returns(sampled, episodes, seed=seed),
            "greedy": mean_returns(greedy, episodes, seed=seed),
        }

    return in_memory


def variant(
    greedy_explore=False,
    sampled_explore=True,
    swap_modules=False,
    seed_shift=None,
    swap_keys=False,
    greedy_agent2_explore=None,
):
    def answer(checkpoint_dir, episodes, seed):
        p1, p2 = load_module(checkpoint_dir, "p1"), load_module(checkpoint_dir, "p2")
        if swap_modules:
            p1, p2 = p2, p1
        env_seed = seed if seed_shift is None else seed_shift
        g = mean_returns(
            {
                "agent1": ModulePolicy(p1, explore=greedy_explore, seed=5),
                "agent2": ModulePolicy(
                    p2,
                    explore=greedy_explore
                    if greedy_agent2_explore is None
                    else greedy_agent2_explore,
                    seed=6,
                ),
            },
            episodes,
            seed=env_seed,
        )
        s = mean_returns(
            {
                "agent1": ModulePolicy(p1, explore=sampled_explore, seed=5),
                "agent2": ModulePolicy(p2, explore=sampled_explore, seed=6),
            },
            episodes,
            seed=env_seed,
        )
        return {"sampled": g, "greedy": s} if swap_keys else {"sampled": s, "greedy": g}

    return answer


def test_the_notebooks_modules_in_memory_are_named(checkpoint):
    with pytest.raises(ExerciseError, match="does not restore from `checkpoint_dir`"):
        check_both_ways(make_in_memory(checkpoint), checkpoint)


@pytest.mark.parametrize(
    "answer, says",
    [
        (variant(greedy_explore=True), "look like sampled play"),
        (variant(greedy_agent2_explore=True), "Pass it to both agents' policies"),
        (variant(sampled_explore=False), "exactly those of greedy play"),
        (variant(swap_keys=True), "the two are swapped"),
        (variant(swap_modules=True), "two modules swapped"),
        (lambda c, e, s: {"sampled": 1.0, "greedy": 2.0}, "one entry per agent"),
        (lambda c, e, s: [1, 2], "keys 'sampled' and 'greedy'"),
        (lambda c, e, s: 1 / 0, "raised ZeroDivisionError"),
    ],
)
def test_each_mistake_is_named(answer, says, checkpoint, progress_file):
    with pytest.raises(ExerciseError, match=says):
        check_both_ways(answer, checkpoint)
    assert not passed(progress_file)
