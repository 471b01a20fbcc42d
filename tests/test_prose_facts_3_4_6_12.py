"""Run-independent numbers in the prose of chapters 3, 4, 6 and 12 (docs/prose_numbers.toml):
RLlib's defaults, the course's settings and the arithmetic the text does. No Ray is started."""

import inspect
import math

from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

from handson_rl.arena.env import (
    DEFAULT_CONFIG,
    R1_COLLISION,
    R1_NEW_FIELD,
    R1_OTHERWISE,
    R2_COLLISION,
    R2_OTHERWISE,
)
from handson_rl.tools.plotting import plot_returns
from handson_rl.training.config import COURSE_SETTINGS


def test_rllib_defaults_chapter_3_quotes():
    config = PPOConfig()
    assert config.clip_param == 0.3 and (1 - 0.3, 1 + 0.3) == (0.7, 1.3)
    assert (config.kl_coeff, config.kl_target) == (0.2, 0.01)
    assert (
        2 * config.kl_target == 0.02 and config.kl_target / 2 == 0.005
    )  # the adaptation's thresholds
    assert config.lr == 5e-5 == 0.00005 and config.num_epochs == 30
    assert DefaultModelConfig().fcnet_hiddens == [256, 256]


def test_course_settings_chapter_3_quotes():
    s = COURSE_SETTINGS
    assert (s["num_envs_per_env_runner"], s["train_batch_size"], s["minibatch_size"]) == (
        16,
        2000,
        2000,
    )
    assert (s["lr"], s["num_epochs"], s["lambda_"]) == (0.003, 10, 0.95)
    assert (
        s["train_batch_size"] / DEFAULT_CONFIG["timestep_limit"] == 20
    )  # "still 20 full episodes"
    assert (
        inspect.signature(plot_returns).parameters["window"].default == 5
    )  # "a moving average over 5"


def test_arithmetic_chapters_3_4_6():
    assert round(math.sqrt(10), 1) == 3.2 and round(math.log(4), 2) == 1.39
    width, height = DEFAULT_CONFIG["width"], DEFAULT_CONFIG["height"]
    side_by_side = sum(
        1
        for r in range(height)
        for c in range(width)
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1))
        if 0 <= r + dr < height and 0 <= c + dc < width
    )
    assert side_by_side == 360 and width * height * (width * height - 1) == 9_900
    # Chapter 6's worked episode: 51 new cells, 46 old cells or walls, 3 collisions.
    assert (
        51 * R1_NEW_FIELD + 46 * R1_OTHERWISE + 3 * R1_COLLISION == 25.0
        and 46 * R1_OTHERWISE == -23
    )
    assert math.isclose(3 * R2_COLLISION + 97 * R2_OTHERWISE, -6.7) and math.isclose(
        97 * R2_OTHERWISE, -9.7
    )
    assert math.isclose(R2_COLLISION - R2_OTHERWISE, 1.1)  # catches = (return + 10) / 1.1
    assert (
        round(34_373 * 4 / 1024) == 134
    )  # module_state.pkl: the weights plus pickle's framing, about 135 KiB
