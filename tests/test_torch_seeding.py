"""RLlib's torch seeding without loading torch's compiler (training/torch_seeding.py).

The replacement must set exactly what torch's own ``use_deterministic_algorithms``
sets for a process that does not compile, hand over to it in one that does, and
reach the env runners. The first test reads the installed torch's function, so a
torch upgrade that makes it do something else fails here.
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap

import pytest
from fresh_python import run_python

from handson_rl.training import torch_seeding


def _body_without_docstring(function) -> list[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    body = tree.body[0].body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return [ast.unparse(node) for node in body]


def test_torchs_function_only_sets_inductors_flag_and_the_switch_we_set():
    assert _body_without_docstring(torch_seeding.ORIGINAL) == [
        "import torch._inductor.config as inductor_config",
        "inductor_config.deterministic = mode",
        "_C._set_deterministic_algorithms(mode, warn_only=warn_only)",
    ]


def _in_a_fresh_process(code: str, env: dict | None = None) -> str:
    out = run_python(code, env={**os.environ, **(env or {})}, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip()


def test_the_switch_is_set_without_the_compiler_and_by_torch_once_it_is_loaded():
    """One fresh process: first as every env runner is, then with TorchInductor loaded."""
    out = _in_a_fresh_process(
        """
        import sys, torch
        import handson_rl.training.config
        torch.use_deterministic_algorithms(True, warn_only=True)
        print(torch.are_deterministic_algorithms_enabled(),
              torch.is_deterministic_algorithms_warn_only_enabled(),
              "torch._inductor" in sys.modules)
        torch.use_deterministic_algorithms(False)
        print(torch.are_deterministic_algorithms_enabled())
        import torch._inductor.config as inductor_config
        torch.use_deterministic_algorithms(True)
        print(torch.are_deterministic_algorithms_enabled(), inductor_config.deterministic)
        """
    )
    assert out.splitlines() == ["True True False", "False", "True True"]


def test_the_environment_variable_keeps_torchs_function():
    out = _in_a_fresh_process(
        """
        import torch
        import handson_rl.training.config
        from handson_rl.training import torch_seeding
        print(torch.use_deterministic_algorithms is torch_seeding.ORIGINAL)
        """,
        env={torch_seeding.ENV_VAR: "torch"},
    )
    assert out == "True"


@pytest.mark.ray
def test_seeded_env_runners_have_the_switch_on_and_no_compiler(ray_session):
    from handson_rl.training.config import arena_ppo_config

    algo = arena_ppo_config(seed=0, num_env_runners=1, num_envs_per_env_runner=1).build_algo()
    try:
        seen = algo.env_runner_group.foreach_env_runner(
            lambda _runner: (
                __import__("torch").are_deterministic_algorithms_enabled(),
                "torch._inductor" in __import__("sys").modules,
            ),
            local_env_runner=False,
        )
    finally:
        algo.stop()
    assert seen == [(True, False)]
