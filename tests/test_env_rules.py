"""MultiAgentArena follows docs/game.md exactly, checked on hand-built positions.

Positions are placed with ``reset(options={"agent1_pos", "agent2_pos", "move_order"})``.
Most tests use a 7-wide, 4-high grid so that a row/column mix-up cannot pass.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from PIL import Image

from handson_rl.arena.env import MultiAgentArena
from handson_rl.arena.render import frames_to_gif

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
DELTAS = {UP: (-1, 0), RIGHT: (0, 1), DOWN: (1, 0), LEFT: (0, -1)}
W, H = 7, 4
A1_FIRST, A2_FIRST = "agent1_first", "agent2_first"


def arena(**config) -> MultiAgentArena:
    return MultiAgentArena({"width": W, "height": H, **config})


def placed(p1, p2, order=A1_FIRST, **config) -> MultiAgentArena:
    env = arena(**config)
    env.reset(seed=0, options={"agent1_pos": p1, "agent2_pos": p2, "move_order": order})
    return env


def step(env, a1, a2):
    return env.step({"agent1": a1, "agent2": a2})


# --------------------------------------------------------------------- defaults
def test_default_start_positions_and_spaces():
    env = arena()
    obs, infos = env.reset(seed=0)
    assert env.agent1_pos == [0, 0]
    assert env.agent2_pos == [H - 1, W - 1]
    assert env.visited == {0}
    assert env.timestep == 0
    assert infos == {"agent1": {}, "agent2": {}}
    np.testing.assert_array_equal(obs["agent1"], [0, W * H - 1])
    np.testing.assert_array_equal(obs["agent2"], [W * H - 1, 0])
    for agent in ("agent1", "agent2"):
        assert env.observation_spaces[agent] == gym.spaces.MultiDiscrete([W * H, W * H])
        assert env.action_spaces[agent].n == 4
        assert obs[agent] in env.observation_spaces[agent]


def test_default_config_is_10_by_10_with_100_steps():
    env = MultiAgentArena()
    assert (env.width, env.height, env.timestep_limit) == (10, 10, 100)
    env.reset(seed=0)
    assert env.agent2_pos == [9, 9]


# -------------------------------------------------------------------- collisions
def test_agent1_moving_first_into_agent2_collides():
    env = placed([1, 1], [1, 2], A1_FIRST)
    _, rew, _, _, infos = step(env, RIGHT, DOWN)
    assert env.agent1_pos == [1, 1]  # move cancelled
    assert env.agent2_pos == [2, 2]  # agent2 still moves afterwards
    assert rew == {"agent1": -1.0, "agent2": 1.0}
    assert infos == {
        "agent1": {"collision": True, "new_field": False},
        "agent2": {"collision": True},
    }
    assert env.last_collision


def test_agent2_moving_first_into_agent1_collides():
    env = placed([1, 1], [1, 2], A2_FIRST)
    _, rew, _, _, infos = step(env, DOWN, LEFT)
    assert env.agent2_pos == [1, 2]  # move cancelled
    assert env.agent1_pos == [2, 1]  # agent1 still moves afterwards (a new field)
    assert rew == {"agent1": -1.0, "agent2": 1.0}  # collision dominates new_field
    assert infos["agent1"] == {"collision": True, "new_field": True}
    assert infos["agent2"] == {"collision": True}


@pytest.mark.parametrize("order", [A1_FIRST, A2_FIRST])
def test_second_mover_into_first_mover_collides(order):
    # Adjacent agents both step towards each other: whoever moves first bumps,
    # the second mover then also targets the first mover's (unchanged) cell.
    env = placed([2, 3], [2, 4], order)
    _, rew, _, _, infos = step(env, RIGHT, LEFT)
    assert (env.agent1_pos, env.agent2_pos) == ([2, 3], [2, 4])
    assert rew == {"agent1": -1.0, "agent2": 1.0}
    assert infos["agent2"]["collision"]


def test_first_mover_vacating_the_cell_means_no_collision():
    # agent2 moves away first, so agent1 can step into the cell it left.
    env = placed([1, 1], [1, 2], A2_FIRST)
    _, rew, _, _, infos = step(env, RIGHT, DOWN)
    assert env.agent2_pos == [2, 2]
    assert env.agent1_pos == [1, 2]
    assert rew == {"agent1": 1.0, "agent2": -0.1}
    assert infos["agent1"] == {"collision": False, "new_field": True}
    assert infos["agent2"] == {"collision": False}


def test_agent1_vacating_lets_agent2_follow():
    # agent1 moves away first; agent2 steps into the cell agent1 just left.
    env = placed([1, 1], [1, 2], A1_FIRST)
    _, rew, _, _, _ = step(env, LEFT, LEFT)
    assert env.agent1_pos == [1, 0]
    assert env.agent2_pos == [1, 1]
    assert rew == {"agent1": 1.0, "agent2": -0.1}


@pytest.mark.parametrize(
    "order, stays, p1_after, p2_after",
    [
        # agent1 takes the middle cell first; agent2's move into it is cancelled.
        (A1_FIRST, "agent2", [1, 2], [1, 3]),
        # agent2 takes the middle cell first; agent1's move into it is cancelled.
        (A2_FIRST, "agent1", [1, 1], [1, 2]),
    ],
)
def test_first_mover_takes_the_cell_the_second_targets(order, stays, p1_after, p2_after):
    env = placed([1, 1], [1, 3], order)
    _, rew, _, _, infos = step(env, RIGHT, LEFT)
    assert env.agent1_pos == p1_after
    assert env.agent2_pos == p2_after
    assert rew == {"agent1": -1.0, "agent2": 1.0}
    assert infos["agent1"]["collision"] and infos["agent2"]["collision"]
    # In the agent1-first case agent1 did reach a new cell; collision still wins.
    assert infos["agent1"]["new_field"] is (order == A1_FIRST)


def test_moving_next_to_each_other_is_not_a_collision():
    env = placed([1, 1], [1, 4], A1_FIRST)
    _, rew, _, _, infos = step(env, RIGHT, LEFT)
    assert (env.agent1_pos, env.agent2_pos) == ([1, 2], [1, 3])
    assert rew == {"agent1": 1.0, "agent2": -0.1}
    assert not infos["agent1"]["collision"]


def test_collision_flag_resets_on_the_next_step():
    env = placed([1, 1], [1, 2], A1_FIRST)
    step(env, RIGHT, UP)
    assert env.last_collision
    step(env, DOWN, UP)
    assert not env.last_collision


# ------------------------------------------------------------------------- walls
def _clip(r, c):
    return [min(max(r, 0), H - 1), min(max(c, 0), W - 1)]


def _far_cell(*avoid):
    """A cell not adjacent to (and not equal to) any of ``avoid``."""
    for r in range(H):
        for c in range(W):
            if all(abs(r - ar) + abs(c - ac) > 1 for ar, ac in avoid):
                return [r, c]
    raise AssertionError("no free cell")


@pytest.mark.parametrize("mover", ["agent1", "agent2"])
def test_every_move_from_every_cell_is_clipped_to_the_grid(mover):
    for r in range(H):
        for c in range(W):
            for action, (dr, dc) in DELTAS.items():
                # The other agent is out of reach and moves second, so it cannot
                # get in the way.
                other = _far_cell((r, c))
                if mover == "agent1":
                    env = placed([r, c], other, A1_FIRST)
                    step(env, action, UP)
                    got = env.agent1_pos
                else:
                    env = placed(other, [r, c], A2_FIRST)
                    step(env, UP, action)
                    got = env.agent2_pos
                assert got == _clip(r + dr, c + dc), (mover, [r, c], action)


@pytest.mark.parametrize(
    "corner, blocked",
    [
        ([0, 0], (UP, LEFT)),
        ([0, W - 1], (UP, RIGHT)),
        ([H - 1, 0], (DOWN, LEFT)),
        ([H - 1, W - 1], (DOWN, RIGHT)),
    ],
)
def test_corners_block_both_outward_moves(corner, blocked):
    for action in blocked:
        env = placed(corner, [1, 3])
        _, rew, _, _, infos = step(env, action, UP)
        assert env.agent1_pos == corner
        # Bumping a wall is not a collision, and the start cell is already visited.
        assert infos["agent1"] == {"collision": False, "new_field": False}
        assert rew["agent1"] == -0.5


def test_wall_bump_is_not_a_collision_for_agent2():
    env = placed([0, 0], [H - 1, W - 1])
    _, rew, _, _, infos = step(env, RIGHT, DOWN)
    assert env.agent2_pos == [H - 1, W - 1]
    assert infos["agent2"] == {"collision": False}
    assert rew["agent2"] == -0.1


# ----------------------------------------------------------- new field / rewards
def test_new_field_then_revisit_then_start_cell():
    env = placed([0, 0], [3, 6])
    # A new cell: +1.0.
    _, rew, _, _, infos = step(env, RIGHT, UP)
    assert rew == {"agent1": 1.0, "agent2": -0.1}
    assert infos["agent1"] == {"collision": False, "new_field": True}
    assert env.visited == {0, 1}
    # Back to the start cell, which counts as visited: -0.5.
    _, rew, _, _, infos = step(env, LEFT, UP)
    assert rew == {"agent1": -0.5, "agent2": -0.1}
    assert infos["agent1"]["new_field"] is False
    # The cell visited a step ago: -0.5 again.
    _, rew, _, _, _ = step(env, RIGHT, UP)
    assert rew["agent1"] == -0.5
    assert env.visited == {0, 1}


def test_start_cell_counts_as_visited_when_placed():
    env = placed([2, 5], [0, 0])
    assert env.visited == {2 * W + 5}
    step(env, UP, RIGHT)  # to [1, 5]: new
    _, rew, _, _, _ = step(env, DOWN, RIGHT)  # back to the start cell
    assert rew["agent1"] == -0.5


def test_visiting_cells_returns_and_reward_values():
    env = placed([0, 0], [3, 6])
    expected = {"agent1": 0.0, "agent2": 0.0}
    for a1, r1 in [(RIGHT, 1.0), (RIGHT, 1.0), (DOWN, 1.0), (UP, -0.5), (LEFT, -0.5)]:
        _, rew, _, _, _ = step(env, a1, LEFT)
        assert rew == {"agent1": r1, "agent2": -0.1}
        expected["agent1"] += r1
        expected["agent2"] += -0.1
    assert env.returns == pytest.approx(expected)
    assert env.returns["agent1"] == pytest.approx(2.0)


def test_rewards_are_python_floats():
    env = placed([1, 1], [1, 2])
    _, rew, _, _, _ = step(env, RIGHT, DOWN)
    assert all(type(r) is float for r in rew.values())


# ------------------------------------------------------------------ observations
def test_observations_use_row_times_width_plus_col_on_non_square_grid():
    env = arena()
    obs, _ = env.reset(options={"agent1_pos": [2, 5], "agent2_pos": [3, 1]})
    assert env.cell_index(2, 5) == 19
    np.testing.assert_array_equal(obs["agent1"], [19, 22])
    np.testing.assert_array_equal(obs["agent2"], [22, 19])
    env.reset(options={"agent1_pos": [2, 5], "agent2_pos": [3, 1], "move_order": A1_FIRST})
    obs, *_ = step(env, DOWN, UP)  # agent1 -> [3, 5] = 26, agent2 -> [2, 1] = 15
    np.testing.assert_array_equal(obs["agent1"], [26, 15])
    np.testing.assert_array_equal(obs["agent2"], [15, 26])
    assert obs["agent1"].dtype == np.int64
    assert obs["agent1"] in env.observation_spaces["agent1"]


def test_last_cell_index_is_in_the_observation_space():
    env = arena()
    obs, _ = env.reset(options={"agent1_pos": [H - 1, W - 1], "agent2_pos": [0, 0]})
    np.testing.assert_array_equal(obs["agent1"], [W * H - 1, 0])
    assert obs["agent1"] in env.observation_spaces["agent1"]


# -------------------------------------------------------------------- truncation
@pytest.mark.parametrize("limit", [1, 5])
def test_truncation_exactly_at_the_time_limit(limit):
    env = arena(timestep_limit=limit)
    env.reset(seed=3)
    for t in range(1, limit + 1):
        _, _, terminateds, truncateds, _ = step(env, t % 4, (t + 1) % 4)
        assert terminateds == {"agent1": False, "agent2": False, "__all__": False}
        done = t == limit
        assert truncateds == {"agent1": done, "agent2": done, "__all__": done}
        assert env.timestep == t
        assert env.episode_over is done


def test_reset_after_truncation_starts_a_fresh_episode():
    env = placed([1, 1], [2, 2], timestep_limit=2)
    step(env, RIGHT, DOWN)
    step(env, RIGHT, DOWN)
    assert env.episode_over
    obs, _ = env.reset()
    assert env.timestep == 0 and not env.episode_over
    assert env.returns == {"agent1": 0.0, "agent2": 0.0}
    assert env.visited == {0} and not env.last_collision
    np.testing.assert_array_equal(obs["agent1"], [0, W * H - 1])


# ------------------------------------------------------------------------ infos
def test_infos_keys_every_step():
    env = arena(timestep_limit=20)
    env.reset(seed=1)
    rng = np.random.default_rng(0)
    for _ in range(20):
        *_, infos = step(env, int(rng.integers(4)), int(rng.integers(4)))
        assert set(infos) == {"agent1", "agent2"}
        assert set(infos["agent1"]) == {"collision", "new_field"}
        assert set(infos["agent2"]) == {"collision"}
        assert infos["agent1"]["collision"] == infos["agent2"]["collision"]


# -------------------------------------------------------------------- coin flip
def _agent1_moved_first(env) -> bool:
    """agent1 steps into agent2 while agent2 steps away: a collision iff agent1 went first."""
    *_, infos = step(env, RIGHT, DOWN)
    return infos["agent1"]["collision"]


def test_move_order_option_is_honoured_every_step():
    for order, expected in ((A1_FIRST, True), (A2_FIRST, False)):
        env = arena(timestep_limit=1)
        for seed in range(20):
            env.reset(
                seed=seed,
                options={"agent1_pos": [1, 1], "agent2_pos": [1, 2], "move_order": order},
            )
            assert _agent1_moved_first(env) is expected


def test_random_move_order_is_a_fair_coin():
    env = arena(timestep_limit=1)
    n = 2000
    firsts = 0
    for seed in range(n):
        env.reset(seed=seed, options={"agent1_pos": [1, 1], "agent2_pos": [1, 2]})
        firsts += _agent1_moved_first(env)
    # Binomial(2000, 0.5): sd ~ 22, so +-100 is > 4 sd.
    assert abs(firsts - n / 2) < 100, firsts


def probe_move_orders(env, n_probes, seed=None):
    """Read the coin of every third step of one episode on a 2x2 grid.

    Each probe is the order-revealing step above, then two steps that bring the
    agents back to agent1 [0, 0], agent2 [0, 1] whatever the order was.
    """
    env.reset(seed=seed, options={"agent1_pos": [0, 0], "agent2_pos": [0, 1]})
    orders = []
    for _ in range(n_probes):
        orders.append(_agent1_moved_first(env))
        step(env, LEFT, DOWN)  # agent1 -> [0, 0], agent2 stays at [1, 1]
        step(env, LEFT, UP)  # agent1 stays, agent2 -> [0, 1]
        assert (env.agent1_pos, env.agent2_pos) == ([0, 0], [0, 1])
    return orders


def test_coin_is_drawn_per_step_not_per_episode():
    env = MultiAgentArena({"width": 2, "height": 2, "timestep_limit": 3 * 60})
    orders = probe_move_orders(env, 60, seed=0)
    assert set(orders) == {True, False}
    assert 10 < sum(orders) < 50


# --------------------------------------------------------------------- rendering
def test_text_board_exact():
    env = MultiAgentArena({"width": 5, "height": 3})
    env.reset(options={"move_order": A1_FIRST})
    step(env, RIGHT, UP)
    assert env.render() == "\n".join(
        [
            "_______",
            "|.1   |",
            "|    2|",
            "|     |",
            "\u203e\u203e\u203e\u203e\u203e\u203e\u203e",
            "step 1/100",
            "R1 = +1.0",
            "R2 = -0.1",
        ]
    )


def test_text_board_shows_collision_and_returns():
    env = MultiAgentArena({"width": 4, "height": 2, "timestep_limit": 9})
    env.reset(options={"agent1_pos": [1, 0], "agent2_pos": [1, 1], "move_order": A1_FIRST})
    step(env, RIGHT, RIGHT)  # agent1 bumps; agent2 then moves to [1, 2]
    assert env.render() == "\n".join(
        [
            "______",
            "|    |",
            "|1 2 |",
            "\u203e\u203e\u203e\u203e\u203e\u203e",
            "step 1/9  COLLISION!",
            "R1 = -1.0",
            "R2 = +1.0",
        ]
    )


def test_text_board_right_after_reset():
    env = MultiAgentArena({"width": 3, "height": 2})
    env.reset()
    assert env.render().splitlines()[:4] == ["_____", "|1  |", "|  2|", "\u203e" * 5]


def _rgb_episode(n_steps=4, **config):
    env = MultiAgentArena({"width": 5, "height": 3, "render_mode": "rgb_array", **config})
    env.reset(seed=0)
    frames = [env.render()]
    for t in range(n_steps):
        step(env, RIGHT, LEFT if t % 2 else UP)
        frames.append(env.render())
    return frames


def test_rgb_frame_is_uint8_hw3():
    frames = _rgb_episode()
    for frame in frames:
        assert isinstance(frame, np.ndarray)
        assert frame.dtype == np.uint8
        assert frame.ndim == 3 and frame.shape[2] == 3
        assert frame.shape == frames[0].shape
    assert frames[0].shape[1] > frames[0].shape[0]  # 5 wide, 3 high (+ header)
    assert not np.array_equal(frames[0], frames[1])


def test_frames_to_gif_frame_count_and_reproducible(tmp_path):
    frames = _rgb_episode(n_steps=5)
    a = frames_to_gif(frames, tmp_path / "a.gif", fps=4)
    b = frames_to_gif(frames, tmp_path / "sub" / "b.gif", fps=4)
    with Image.open(a) as img:
        assert img.format == "GIF"
        assert img.n_frames == len(frames) == 6
        assert img.size == (frames[0].shape[1], frames[0].shape[0])
    assert open(a, "rb").read() == open(b, "rb").read()


def test_frames_to_gif_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="at least one frame"):
        frames_to_gif([], tmp_path / "x.gif")
    small = _rgb_episode(n_steps=0)[0]
    big = _rgb_episode(n_steps=0, width=6)[0]
    with pytest.raises(ValueError, match="same shape"):
        frames_to_gif([small, big], tmp_path / "x.gif")
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        frames_to_gif([small[..., 0]], tmp_path / "x.gif")
    assert not (tmp_path / "x.gif").exists()
