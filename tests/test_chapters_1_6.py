"""Claims chapters 1-6 make, checked: a seeded CartPole episode repeats, which copy
of a module holds which layers, sampled evaluation by default, the checkpoint tree."""

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from handson_rl.training.checkpoints import describe
from handson_rl.training.policies import ModulePolicy

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


def _code_cell(lesson: str, marker: str) -> str:
    """The code cell of a lesson source that contains ``marker``."""
    text = (LESSONS / lesson).read_text()
    cells = re.split(r"^# %%.*$", text, flags=re.M)
    matches = [c for c in cells if marker in c and not c.lstrip().startswith("# ")]
    assert len(matches) == 1, f"expected one code cell with {marker!r} in {lesson}"
    return matches[0]


def _run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<lesson cell>", "exec"), {})
    return out.getvalue()


# Item 4: chapter 1's CartPole cell prints the same episode every time it runs.
def test_chapter1_seeded_cartpole_episode_repeats():
    cell = _code_cell("01_rl_and_rllib_in_a_nutshell.py", 'gym.make("CartPole-v1")')
    assert "action_space.seed(" in cell
    outputs = {_run(cell) for _ in range(3)}
    assert len(outputs) == 1, outputs
    assert "lasted" in outputs.pop()


def test_seeding_reset_alone_does_not_seed_the_actions():
    # Why the chapter seeds the action space too: reset(seed=...) leaves sample() unseeded.
    import gymnasium as gym

    lengths = set()
    for _ in range(8):
        env = gym.make("CartPole-v1")
        env.reset(seed=42)
        steps, done = 0, False
        while not done:
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            steps, done = steps + 1, terminated or truncated
        lengths.add(steps)
    assert len(lengths) > 1


# Item 3: a ModulePolicy samples by default (like RLlib's evaluation); greedy on request.
class _FixedLogits(torch.nn.Module):
    def forward_inference(self, batch):
        from ray.rllib.core.columns import Columns

        return {Columns.ACTION_DIST_INPUTS: torch.tensor([[1.0, 0.8, 0.0, -1.0]])}


def test_module_policy_samples_by_default():
    policy = ModulePolicy(_FixedLogits(), seed=0)
    assert policy.explore is True
    actions = [policy.act(np.array([0, 99])) for _ in range(300)]
    counts = np.bincount(actions, minlength=4) / len(actions)
    probs = torch.softmax(torch.tensor([1.0, 0.8, 0.0, -1.0]), -1).numpy()
    assert np.allclose(counts, probs, atol=0.07)


def test_module_policy_greedy_on_request():
    policy = ModulePolicy(_FixedLogits(), explore=False)
    assert {policy.act(np.array([0, 99])) for _ in range(50)} == {0}


def test_rllib_evaluates_with_sampled_actions_by_default():
    from ray.rllib.algorithms.ppo import PPOConfig

    config = PPOConfig()
    assert config.explore is True
    assert config.evaluation_config is None  # evaluation inherits explore=True


# Item 10: describe() shows what is inside each module's directory.
def test_describe_reaches_inside_module_directories(tmp_path):
    root = tmp_path / "ckpt"
    module_dir = root / "learner_group" / "learner" / "rl_module" / "p1"
    module_dir.mkdir(parents=True)
    (root / "rllib_checkpoint.json").write_text("{}")
    (module_dir / "module_state.pkl").write_bytes(b"x" * 2048)
    tree = describe(root)
    assert "p1/" in tree
    assert "module_state.pkl  (2.0 KiB)" in tree


# Item 1: the env runner's copy is inference-only; the learner's copy has the value network.
@pytest.mark.usefixtures("ray_session")
def test_env_runner_copy_is_inference_only_and_learner_copy_is_full():
    from handson_rl.training.config import arena_ppo_config

    algo = arena_ppo_config(seed=0, num_env_runners=0).build_algo()
    try:
        runner_copy = algo.get_module("p1")
        assert runner_copy.inference_only
        runner_params = dict(runner_copy.named_parameters())
        assert sum(p.numel() for p in runner_params.values()) == 17_284
        assert not any("critic" in n or n.startswith("vf.") for n in runner_params)

        learner = algo.learner_group.get_weights(module_ids=["p1"])["p1"]
        weights = {n: v for n, v in learner.items() if not n.endswith("_const")}
        assert sum(np.size(v) for v in weights.values()) == 34_373
        assert any("critic_encoder" in n for n in weights) and any(
            n.startswith("vf.") for n in weights
        )
        # The shared part is the same weights in both copies.
        for name, value in runner_params.items():
            assert np.allclose(value.detach().numpy(), weights[name])
    finally:
        algo.stop()
