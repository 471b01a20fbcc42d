"""Chapter 4's task: a policy mapping function for a small league.

The layout: agent1 always plays with the module ``explorer``; agent2 plays with
the module ``chaser`` (which trains) in about half of the episodes and with
``chaser_old`` (a frozen earlier copy) in the other half, decided by the episode,
so that agent2 keeps one module for a whole episode. The learner writes
``map_agent(agent_id, episode, **kwargs)``; the checker calls it as RLlib does,
on RLlib's own ``MultiAgentEpisode`` objects (each has a unique ``id_``), and
names the usual mistakes: a 2021 signature, an agent id returned instead of a
module id, both agents on one module, the episode ignored, a choice that
changes between two calls for the same episode.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable

from handson_rl.arena.env import AGENT1, AGENT2, AGENTS
from handson_rl.exercises.common import checker, fail

TASK_ID = "task-ch4-mapping"
EXPLORER, CHASER, CHASER_OLD = "explorer", "chaser", "chaser_old"
MODULES = (EXPLORER, CHASER, CHASER_OLD)
#: Episodes the checker maps (each agent asked twice per episode).
N_EPISODES = 400
#: The share of episodes agent2 must spend with each chaser: about half, and a
#: fair split over 400 episodes lands well inside (its standard deviation is 2.5%).
SHARE_RANGE = (0.35, 0.65)

_SIGNATURE = (
    "RLlib calls the mapping function as `map_agent(agent_id, episode)` (and may "
    "pass more keywords later): write `def map_agent(agent_id, episode, **kwargs):`."
)


def _episodes(n: int) -> list:
    from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

    return [MultiAgentEpisode() for _ in range(n)]


def _check_signature(fn: Callable) -> None:
    if not callable(fn):
        fail(f"Pass your function itself: check_mapping(map_agent); got {type(fn).__name__}.")
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin without a signature: just call it
        return
    probe = _episodes(1)[0]
    try:
        inspect.signature(fn).bind(AGENT1, probe)
    except TypeError as err:
        if "worker" in params:
            fail(
                "Your map_agent needs a `worker` argument: that is the 2021 API "
                "(`policy_mapping_fn(agent_id, episode, worker, **kwargs)`). Today RLlib "
                f"passes no worker. {_SIGNATURE}"
            )
        fail(f"Your map_agent cannot be called with (agent_id, episode): {err}. {_SIGNATURE}")


def _ask(fn: Callable, agent: str, episode) -> str:
    try:
        module = fn(agent, episode)
    except AttributeError as err:
        if "episode_id" in str(err):
            fail(
                "`episode.episode_id` was the 2021 API. Today `episode` is a "
                "MultiAgentEpisode, and its unique id is `episode.id_` (a string), e.g. "
                "`hash(episode.id_) % 2` to split the episodes in two.",
                err,
            )
        _raised(err, agent)
    except Exception as err:  # the learner's own error, with their line
        _raised(err, agent)
    if module in AGENTS:
        fail(
            f"map_agent({agent!r}, episode) returned {module!r}: an agent id. It should "
            f"return the id of a module (a network) declared in the config, one of "
            f"{list(MODULES)}."
        )
    if module not in MODULES:
        fail(
            f"map_agent({agent!r}, episode) returned {module!r}, which is not one of the "
            f"modules {list(MODULES)}. RLlib would fail when it looks that module up."
        )
    return module


def _raised(err: Exception, agent: str):
    fail(
        f"Your map_agent({agent!r}, episode) raised {type(err).__name__}: {err}. `episode` is "
        "RLlib's MultiAgentEpisode; `episode.id_` is its unique id (a string).",
        err,
    )


def _check_agent1(seen: Counter) -> None:
    wrong = {m: n for m, n in seen.items() if m != EXPLORER}
    if wrong:
        fail(
            f"agent1 should always use {EXPLORER!r}; your map_agent gave it "
            f"{_counts(wrong)} of {sum(seen.values())} times. Return {EXPLORER!r} for "
            "'agent1' whatever the episode."
        )


def _check_agent2(seen: Counter, changed: int) -> None:
    if seen[EXPLORER]:
        fail(
            f"agent2 got {EXPLORER!r} in {seen[EXPLORER]} of {sum(seen.values())} calls: both "
            "agents on one module, the shared setup this chapter started with. The layout "
            f"gives agent2 its own modules: {CHASER!r} or {CHASER_OLD!r}."
        )
    if changed:
        fail(
            f"Asked twice about the same episode, your map_agent gave agent2 different "
            f"modules in {changed} of {N_EPISODES} episodes: the choice does not depend on "
            "the episode (random, or a counter?). Decide from the episode, so that its "
            "answer is fixed, e.g. `hash(episode.id_) % 2` (`episode.id_` is the episode's "
            "unique id)."
        )
    total = sum(seen.values())
    for module in (CHASER, CHASER_OLD):
        if not seen[module]:
            only = CHASER_OLD if module == CHASER else CHASER
            fail(
                f"agent2 got {only!r} in every one of {N_EPISODES} episodes and {module!r} "
                "never: your map_agent ignores the episode. The layout has agent2 play "
                f"{CHASER!r} in about half of the episodes and {CHASER_OLD!r} in the others; "
                "decide from the episode, e.g. `hash(episode.id_) % 2`."
            )
    for module in (CHASER, CHASER_OLD):
        share = seen[module] / total
        low, high = SHARE_RANGE
        if not low <= share <= high:
            fail(
                f"agent2 got {module!r} in {share:.0%} of {N_EPISODES} episodes; the layout "
                f"asks for about half ({low:.0%} to {high:.0%} over this many). "
                "`hash(episode.id_) % 2` splits the episodes evenly."
            )


def _counts(counter: dict) -> str:
    return ", ".join(f"{module!r} {n}" for module, n in counter.items())


@checker
def check_mapping(map_agent: Callable) -> None:
    """Check chapter 4's task: ``map_agent(agent_id, episode, **kwargs)`` maps agent1
    to ``explorer`` and agent2 to ``chaser`` or ``chaser_old``, about half the
    episodes each, fixed within an episode."""
    _check_signature(map_agent)
    agent1, agent2, changed = Counter(), Counter(), 0
    for episode in _episodes(N_EPISODES):
        agent1[_ask(map_agent, AGENT1, episode)] += 1
        first = _ask(map_agent, AGENT2, episode)
        changed += _ask(map_agent, AGENT2, episode) != first
        agent2[first] += 1
    _check_agent1(agent1)
    _check_agent2(agent2, changed)
    print(
        f"Task solved: agent1 always plays {EXPLORER!r}; agent2 played {CHASER!r} in "
        f"{agent2[CHASER]} and {CHASER_OLD!r} in {agent2[CHASER_OLD]} of {N_EPISODES} "
        "episodes, the same module whenever the same episode was asked about."
    )
    from handson_rl.exercises.tasks import task
    from handson_rl.progress import record

    record(task(TASK_ID))
