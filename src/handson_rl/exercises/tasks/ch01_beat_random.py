"""Chapter 1's task: a hand-written CartPole policy that beats random play.

The learner writes ``my_policy(observation) -> int`` for ``CartPole-v1``: the
observation is four numbers (cart position, cart velocity, pole angle, pole
angular velocity; a positive angle leans the pole to the right) and the action
is 0 (push the cart left) or 1 (push it right). The checker plays the same
:data:`SEEDS` episodes with the policy and with random actions (each episode's
random actions seeded by its seed, so both runs are deterministic for a
deterministic policy) and passes when the policy's mean return is at least
:data:`FACTOR` times random play's.

Why 1.5: on these 20 seeds random play lasts about 22 steps on average, pushing
towards the lean (``1 if observation[2] > 0 else 0``) about 41 (1.85 times), the
angular velocity alone about 199, and the mistakes stay below 1.5 times: always
the same action or pushing away from the lean about 9, pushing towards the centre
by the cart's position about 28 (1.3 times), sampling at random about 1 time.
``tests/test_task_ch01_beat_random.py`` checks each of these ratios.

When the policy falls short, the checker asks it about made-up observations
(only the angle set, only the angular velocity, only the cart position; the same
observation twice) to name the mistake: random actions, always the same action,
pushing away from the lean, reading the cart instead of the pole.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from handson_rl.exercises.common import Mistake, checker, fail, time_limit

TASK_ID = "task-ch1-beat-random"
#: The episodes both players play: fixed, so the comparison is the same on every run.
SEEDS = tuple(range(20))
#: "Clearly better": the policy's mean return must be at least this times random play's.
FACTOR = 1.5
#: Seconds the 20 episodes may take (a right answer needs well under one).
TIME_LIMIT = 30.0
_ACTIONS = "0 = push the cart left, 1 = push it right"
#: Observation entries the diagnosis probes: (index, name, a clearly non-zero value).
_ANGLE = (2, "pole angle", 0.1)
_ANGULAR_VELOCITY = (3, "angular velocity", 0.5)
_POSITION = (0, "cart position", 1.0)


def _action_problem(action) -> str | None:
    """Why ``action`` is not a CartPole action (None if it is one)."""
    if action is None:
        return (
            "returned None: is the `return` missing? Return the action, e.g. "
            "`return 1 if ... else 0`."
        )
    if isinstance(action, (bool, np.bool_)):
        return (
            f"returned a boolean ({action!r}), not an action number: wrap the comparison "
            "in int(...), or write `1 if ... else 0`."
        )
    if isinstance(action, (np.ndarray, list, tuple)):
        shape = np.shape(action)
        if shape != ():
            return (
                f"returned {type(action).__name__} of shape {shape}, not one number: return "
                "a plain int (for a one-element array, `int(a[0])` or `a.item()`)."
            )
        action = action.item()
    if isinstance(action, (float, np.floating)):
        return (
            f"returned a float ({action!r}): CartPole's actions are whole numbers, "
            f"{_ACTIONS}. Return an int, e.g. `1 if ... else 0`."
        )
    if not isinstance(action, (int, np.integer)):
        return f"returned {type(action).__name__} {action!r:.60}: return an int, {_ACTIONS}."
    if action not in (0, 1):
        return (
            f"returned {action}: CartPole has two actions, {_ACTIONS}. There is no -1 or "
            "+1 (no direction sign) and no 'do nothing'."
        )
    return None


def _act(policy: Callable, observation) -> int:
    """The policy's action for ``observation``, or a message naming the mistake."""
    try:
        action = policy(observation)
    except Mistake:
        raise
    except NotImplementedError as err:
        fail(
            "my_policy still raises NotImplementedError: replace that line with your rule, "
            f"a `return` of 0 or 1 ({_ACTIONS}) decided from the observation.",
            err,
        )
    except Exception as err:  # the learner's own error, shown with their line
        fail(
            f"Your policy raised {type(err).__name__}: {err}. It is called with one "
            "observation, a numpy array of 4 floats (cart position, cart velocity, pole "
            "angle, pole angular velocity), and returns 0 or 1.",
            err,
        )
    problem = _action_problem(action)
    if problem is not None:
        fail(f"Your policy {problem}")
    return int(action)


def play(policy: Callable | None, seeds=SEEDS) -> tuple[list[float], set[int]]:
    """The return of each episode in ``seeds`` played by ``policy`` (random actions,
    seeded by the episode's seed, when ``policy`` is None), and the actions taken."""
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    returns, actions = [], set()
    try:
        for seed in seeds:
            observation, _ = env.reset(seed=seed)
            env.action_space.seed(seed)
            total, done = 0.0, False
            while not done:
                if policy is None:
                    action = int(env.action_space.sample())
                else:
                    action = _act(policy, observation)
                actions.add(action)
                observation, reward, terminated, truncated, _ = env.step(action)
                total += float(reward)
                done = terminated or truncated
            returns.append(total)
    finally:
        env.close()
    return returns, actions


def _probe(policy: Callable, index: int, value: float) -> tuple[int, int]:
    """The policy's actions for a made-up observation with only entry ``index`` set,
    to +value and to -value."""
    answers = []
    for sign in (1.0, -1.0):
        observation = np.zeros(4, dtype=np.float32)
        observation[index] = sign * value
        answers.append(_act(policy, observation))
    return answers[0], answers[1]


def _is_random(policy: Callable) -> bool:
    observation = np.array([0.01, 0.0, 0.02, 0.0], dtype=np.float32)
    return len({_act(policy, observation.copy()) for _ in range(20)}) > 1


def _diagnose(policy: Callable, head: str, actions: set[int]) -> None:
    """Name the reason a policy that fell short did so (always fails)."""
    if _is_random(policy):
        fail(
            f"{head} Asked 20 times about the same observation, your policy answered both 0 "
            "and 1: it acts at random (env.action_space.sample(), np.random, ...), and random "
            "play is what it has to beat. Decide from the observation, the same way every "
            "time: which way does the pole lean (observation[2])?"
        )
    if len(actions) == 1:
        side = "right (1)" if actions == {1} else "left (0)"
        fail(
            f"{head} Your policy pushed {side} on every step: it ignores the observation, "
            "and the cart runs out from under the pole even sooner than with random pushes. "
            "Let the action depend on the observation: on observation[2], the pole's angle "
            "(positive = leaning right)."
        )
    for index, name, value in (_ANGLE, _ANGULAR_VELOCITY):
        if _probe(policy, index, value) == (0, 1):
            fail(
                f"{head} With only the {name} set (observation[{index}] = +{value:g}, the pole "
                f"{'leaning' if index == 2 else 'falling'} to the right), your policy pushes "
                f"left (0), and right (1) for -{value:g}: it pushes away from the lean, which "
                "tips the pole over faster. Push towards the side the pole leans, as you "
                "would balance a stick on your hand: 1 when it leans right."
            )
    flat = all(len(set(_probe(policy, i, v))) == 1 for i, _, v in (_ANGLE, _ANGULAR_VELOCITY))
    if flat and len(set(_probe(policy, _POSITION[0], _POSITION[2]))) == 2:
        fail(
            f"{head} Your policy's action changes with the cart's position (observation[0]) "
            "but not with the pole's angle (observation[2]) or angular velocity "
            "(observation[3]). The observation is [cart position, cart velocity, pole angle, "
            "pole angular velocity]: what falls over is the pole, so look at index 2."
        )
    fail(
        f"{head} Look at the pole: observation[2] is its angle (positive = leaning right), "
        f"observation[3] how fast it is falling. Actions: {_ACTIONS}. Push towards the side "
        "the pole leans."
    )


@checker
def check_ch01_beat_random(my_policy: Callable) -> None:
    """Check chapter 1's task: over the same seeded CartPole-v1 episodes,
    ``my_policy(observation) -> 0 or 1`` keeps the pole up clearly longer than
    random play (a mean return at least :data:`FACTOR` times random's)."""
    if not callable(my_policy):
        fail(
            f"Pass your function itself: check_ch01_beat_random(my_policy), without "
            f"brackets after my_policy; got {type(my_policy).__name__}."
        )
    too_long = (
        f"Your policy ran for {TIME_LIMIT:g} s over {len(SEEDS)} episodes (a right answer "
        "takes well under a second), so the check stopped it: the line below is where it "
        "was. Decide from the observation alone, without a loop or an env of your own."
    )
    try:
        with time_limit(TIME_LIMIT, too_long):
            returns, actions = play(my_policy)
    except Mistake as mistake:
        fail(mistake.message, mistake)
    random_returns, _ = play(None)
    mine, theirs = float(np.mean(returns)), float(np.mean(random_returns))
    head = (
        f"Over the same {len(SEEDS)} episodes your policy kept the pole up {mine:.1f} steps "
        f"on average, random play {theirs:.1f}: {mine / theirs:.2f} times as long; the task "
        f"asks for at least {FACTOR:g} times."
    )
    if mine < FACTOR * theirs:
        _diagnose(my_policy, head, actions)
    print(f"Task solved. {head.replace('; the task asks', '. The task asked')}")
    if mine < 500:
        print(
            "Try next: 500 steps is the most an episode lasts. Can you get there, using "
            "how fast the pole is falling (observation[3]) as well?"
        )
    from handson_rl.exercises.tasks import task
    from handson_rl.progress import record

    record(task(TASK_ID))
