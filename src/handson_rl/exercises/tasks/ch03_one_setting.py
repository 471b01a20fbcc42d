"""Chapter 3's task: predict, then change one PPO setting.

The task: each iteration should train on twice as much experience, 4,000 env
steps instead of 2,000, with everything else as in ``arena_ppo_config(seed=0)``.
The learner writes that config (one setting changed) and predicts, before
running it, how many env steps one iteration samples and about how many
gradient steps each module's learner makes per iteration. The checker compares
the config with the course's, setting by setting, without building anything,
and the predictions with what RLlib does with that config.
"""

from __future__ import annotations

import math
from numbers import Real

from handson_rl.exercises.common import checker, fail

TASK_ID = "task-ch3-predict-setting"
TARGET_STEPS = 4000

#: Settings compared with the course's config: name -> how to read it from a config.
_SETTINGS = {
    "train_batch_size_per_learner": lambda c: c.train_batch_size_per_learner,
    "minibatch_size": lambda c: c.minibatch_size,
    "num_epochs": lambda c: c.num_epochs,
    "lr": lambda c: c.lr,
    "num_learners": lambda c: c.num_learners,
    "num_env_runners": lambda c: c.num_env_runners,
    "num_envs_per_env_runner": lambda c: c.num_envs_per_env_runner,
    "rollout_fragment_length": lambda c: c.rollout_fragment_length,
    "gamma": lambda c: c.gamma,
    "lambda_": lambda c: c.lambda_,
    "fcnet_hiddens": lambda c: list(c.model_config.get("fcnet_hiddens", [])),
    "seed": lambda c: c.seed,
}
#: Settings that change how the steps are collected, not how many an iteration trains on.
_COLLECTION = ("num_env_runners", "num_envs_per_env_runner", "rollout_fragment_length")


def course_config():
    from handson_rl.training.config import arena_ppo_config

    return arena_ppo_config(seed=0)


def gradient_steps(config) -> int:
    """Gradient steps per module and iteration, counting the batch as exactly
    ``total_train_batch_size`` rows: ``num_epochs`` times the minibatches in it.
    (RLlib's batch has one extra, masked row per episode piece, so its minibatch
    loop often needs one step more; the check accepts both.)"""
    return config.num_epochs * math.ceil(config.total_train_batch_size / config.minibatch_size)


def _changed(config, base) -> dict:
    """``{name: (course value, your value)}`` for each compared setting that differs."""
    changed = {}
    for name, read in _SETTINGS.items():
        ours, yours = read(base), read(config)
        if ours != yours:
            changed[name] = (ours, yours)
    return changed


def _check_config(config) -> None:
    from ray.rllib.algorithms.algorithm import Algorithm
    from ray.rllib.algorithms.ppo import PPOConfig

    if isinstance(config, Algorithm):
        fail(
            "task_config is a built algorithm; the task asks for the config. Leave out "
            ".build_algo(): `task_config = arena_ppo_config(seed=0, ...)`."
        )
    if not isinstance(config, PPOConfig):
        fail(
            f"task_config should be a PPO config (what arena_ppo_config(...) returns); it is "
            f"{type(config).__name__}."
        )
    from handson_rl.arena import MultiAgentArena

    if config.env is not MultiAgentArena or config.policies.keys() != {"p1", "p2"}:
        fail(
            "task_config is not the course's config: start from `arena_ppo_config(seed=0)` "
            "(the arena, modules p1 and p2, the course's settings) and change one setting."
        )
    base = course_config()
    changed = _changed(config, base)
    if "num_learners" in changed:
        fail(
            "You changed num_learners: that adds learner processes, each with its own "
            "batch of train_batch_size_per_learner steps. The total doubles, but with two "
            "more processes, which a 2-core laptop does not have. Keep num_learners=0 and "
            "make the one batch bigger."
        )
    if config.total_train_batch_size == base.total_train_batch_size:
        _unchanged_batch(config, base, changed)
    if config.total_train_batch_size != TARGET_STEPS:
        fail(
            f"Your config trains on {config.total_train_batch_size} env steps per "
            f"iteration; twice the course's {base.total_train_batch_size} is {TARGET_STEPS}."
        )
    others = {
        name: pair for name, pair in changed.items() if name != "train_batch_size_per_learner"
    }
    if "minibatch_size" in others:
        fail(
            f"You changed minibatch_size too ({others['minibatch_size'][0]} -> "
            f"{others['minibatch_size'][1]}). Change one setting: the task keeps the "
            "minibatch at 2,000, so that the bigger batch means more gradient steps, not "
            "bigger ones. (Both together is a fine experiment, but a different one.)"
        )
    if others:
        listed = ", ".join(f"{name} ({a} -> {b})" for name, (a, b) in others.items())
        fail(
            f"Change one setting only: besides the batch size you changed {listed}. With "
            "two changes you cannot tell which one did what."
        )


def _unchanged_batch(config, base, changed) -> None:
    collection = [name for name in _COLLECTION if name in changed]
    if collection:
        fail(
            f"You changed {', '.join(collection)}: that changes how the steps are "
            "collected (how many processes, boards or steps per piece), not how many one "
            f"iteration trains on, still {config.total_train_batch_size}. The setting "
            "for that is the train batch size."
        )
    per_learner = base.train_batch_size_per_learner
    why = (
        f"the course's config sets train_batch_size_per_learner={per_learner}, and that "
        "one wins: RLlib uses train_batch_size only when the per-learner figure is not "
        "set (the two batch-size names of this chapter). Set "
        f"`.training(train_batch_size_per_learner={TARGET_STEPS})`, or pass "
        f"`train_batch_size={TARGET_STEPS}` to arena_ppo_config(...), which sets the "
        "per-learner figure."
    )
    if config.train_batch_size != base.train_batch_size:
        fail(
            f"You set train_batch_size={config.train_batch_size}, but {why} The batch is "
            f"still {config.total_train_batch_size}."
        )
    fail(
        f"Your config still trains on {config.total_train_batch_size} env steps per "
        f"iteration, as the course's does. If you set train_batch_size={TARGET_STEPS} with "
        f".training(...): that is RLlib's default already, and {why}"
    )


def _number(value, name: str) -> float:
    if value is ... or value is None:
        fail(f"Fill in your prediction: `{name} = ` a number, before you run the next cells.")
    if isinstance(value, bool) or not isinstance(value, Real):
        fail(f"{name} should be a number; it is {type(value).__name__} {value!r:.60}.")
    return float(value)


def _check_env_steps(config, predicted) -> None:
    steps = config.total_train_batch_size
    runners = max(config.num_env_runners, 1)
    if predicted == steps:
        return
    if predicted == steps * runners and runners > 1:
        fail(
            f"predicted_env_steps = {predicted:g}: {runners} env runners times {steps}? The "
            f"batch size is for the whole iteration: the {runners} env runners share it, "
            f"{steps // runners} steps each, {steps} in all."
        )
    if predicted == steps // 2:
        fail(
            f"predicted_env_steps = {predicted:g} is the course's batch: with your config "
            f"an iteration samples exactly train_batch_size_per_learner = {steps} env steps."
        )
    fail(
        f"predicted_env_steps = {predicted:g}. One iteration samples exactly the train "
        f"batch size in env steps: RLlib sizes the env runners' pieces so that they add "
        f"up to it ({steps} here)."
    )


def _check_gradient_steps(config, predicted) -> None:
    want = gradient_steps(config)
    if predicted in (want, want + 1):
        return
    epochs, per_epoch = config.num_epochs, want // config.num_epochs
    if predicted == epochs:
        fail(
            f"predicted_gradient_steps = {predicted:g}: that is the course's count, one "
            f"minibatch per epoch. The minibatch stayed at {config.minibatch_size}, so the "
            f"{config.total_train_batch_size}-step batch now holds {per_epoch} of them: "
            f"{epochs} epochs x {per_epoch} = {want} gradient steps."
        )
    if predicted == per_epoch:
        fail(
            f"predicted_gradient_steps = {predicted:g} is one pass over the batch: PPO makes "
            f"num_epochs = {epochs} passes, each in minibatches: {epochs} x {per_epoch} = {want}."
        )
    if predicted == 2 * want:
        fail(
            f"predicted_gradient_steps = {predicted:g}: the count is per module (p1 and p2 "
            f"each get their own {want}), and each module's batch has one row per env step "
            f"of its agent: {config.total_train_batch_size} rows, {per_epoch} minibatches "
            f"of {config.minibatch_size}, times {epochs} epochs."
        )
    fail(
        f"predicted_gradient_steps = {predicted:g}. Per module: num_epochs ({epochs}) x "
        f"minibatches per epoch (batch {config.total_train_batch_size} / minibatch "
        f"{config.minibatch_size} = {per_epoch}) = {want}."
    )


@checker
def check_one_setting(task_config, predicted_env_steps, predicted_gradient_steps) -> None:
    """Check chapter 3's task: ``task_config`` is the course's config with the train
    batch doubled (one setting changed), and the two predictions fit it."""
    _check_config(task_config)
    steps = _number(predicted_env_steps, "predicted_env_steps")
    grads = _number(predicted_gradient_steps, "predicted_gradient_steps")
    _check_env_steps(task_config, steps)
    _check_gradient_steps(task_config, grads)
    want = gradient_steps(task_config)
    print(
        f"Task solved: one setting changed, the train batch, now {TARGET_STEPS} env steps per "
        f"iteration; with the minibatch still {task_config.minibatch_size}, each module "
        f"makes about {want} gradient steps per iteration instead of about "
        f"{gradient_steps(course_config())}. The next cell runs one iteration to see it."
    )
    from handson_rl.exercises.tasks import task
    from handson_rl.progress import record

    record(task(TASK_ID))
