"""A seeded config builds the same starting weights in every Python process.

RLlib builds the modules in the order ``policies`` lists them, each drawing from
the seeded generator; with a set, that order follows ``PYTHONHASHSEED`` and
changes from one kernel to the next.
"""

import os
import subprocess
import sys

import pytest

from handson_rl.training.config import arena_ppo_config, rllib_default_ppo_config


def test_configs_list_modules_in_a_fixed_order():
    assert list(arena_ppo_config(seed=0).policies) == ["p1", "p2"]
    assert list(rllib_default_ppo_config().policies) == ["p1", "p2"]


_PRINT_ORDER = (
    "from handson_rl.training.config import arena_ppo_config; "
    "print(list(arena_ppo_config(seed=0).policies))"
)


@pytest.mark.parametrize("hash_seed", ["0", "1", "7"])
def test_module_order_does_not_follow_the_hash_seed(hash_seed):
    # PYTHONHASHSEED 1 and 7 put {"p1", "p2"} in the order p2, p1.
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    out = subprocess.run(
        [sys.executable, "-c", _PRINT_ORDER], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "['p1', 'p2']"
