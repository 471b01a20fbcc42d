"""Playing the arena yourself: the game logic, the widget's logic (no browser), the
text prompt, and the headless fallback that never waits."""

from __future__ import annotations

import numpy as np
import pytest

from handson_rl.arena import MultiAgentArena
from handson_rl.arena.game import ArenaGame, PlayError, parse_move
from handson_rl.arena.play_text import play_text
from handson_rl.arena.play_widget import KEY_BUTTONS, PlayView, static_html
from handson_rl.arena.rollout import RandomPolicy
from handson_rl.tools.play import play
from handson_rl.training.pretrained import trained_policy


def pretrained(agent, seed):
    """The course's pre-trained agents, as :func:`handson_rl.tools.play.play` gives them."""
    return trained_policy(agent, seed=seed)


def a_game(*args, trained=pretrained, **kwargs) -> ArenaGame:
    """A game with the pre-trained agents as its trained ones, as play() builds it."""
    return ArenaGame(*args, trained=trained, **kwargs)


@pytest.fixture(autouse=True)
def no_progress(monkeypatch):
    monkeypatch.setenv("HANDSON_RL_PROGRESS", "off")


def test_moves_from_keys_words_letters_and_numbers():
    assert [parse_move(m) for m in ("ArrowUp", "ArrowRight", "ArrowDown", "ArrowLeft")] == [
        0,
        1,
        2,
        3,
    ]
    assert [parse_move(m) for m in ("w", "D", " s ", "a", "UP", "left", 2, "3")] == [
        0,
        1,
        2,
        3,
        0,
        3,
        2,
        3,
    ]
    for bad in ("x", 4, -1, None, True, 1.0):
        with pytest.raises(PlayError):
            parse_move(bad)


def test_each_key_of_the_widget_clicks_the_button_of_its_move():
    from handson_rl.arena.env import ACTION_NAMES

    for key, button in KEY_BUTTONS.items():
        assert ACTION_NAMES[parse_move(key)] == button, key


def test_the_game_is_the_arena_with_a_seeded_opponent():
    game = a_game("agent1", "random", seed=4)
    moves = [1, 1, 2, 2, 3, 0, 0, 1] * 3
    # The same episode by hand: the env with the same seed, a random agent2 with seed + 1.
    env = MultiAgentArena()
    obs, _ = env.reset(seed=4)
    opponent = RandomPolicy(env.get_action_space("agent2"), seed=5)
    for move in moves:
        step = game.move(move)
        obs, rewards, _, _, infos = env.step(
            {"agent1": move, "agent2": opponent.act(obs["agent2"])}
        )
        assert step.rewards == rewards and step.returns == env.returns
        assert step.collision == infos["agent1"]["collision"]
        assert game.observation.tolist() == obs["agent1"].tolist()
    assert game.step_count == len(moves) and len(game.history) == len(moves)


def test_playing_agent2_against_the_trained_explorer():
    game = a_game("agent2", "trained", seed=0)
    while not game.done:
        game.move("left")
    assert game.step_count == 100 and "Episode over: you (agent2, the chaser)" in game.summary()
    with pytest.raises(PlayError, match="restart to play again"):
        game.move("up")


def test_restart_replays_the_same_start():
    game = a_game("agent1", "random", seed=2)
    first = [game.move(m).other for m in "dsdsdsdsds"]
    game.restart()
    assert (
        game.step_count == 0
        and game.history == []
        and game.returns == {"agent1": 0.0, "agent2": 0.0}
    )
    assert [game.move(m).other for m in "dsdsdsdsds"] == first  # same opponent moves
    game.restart(seed=3)
    assert game.seed == 3 and game.step_count == 0


def test_summary_compares_with_the_trained_and_a_random_agent_from_the_same_start():
    game = a_game("agent1", "random", seed=1)
    while not game.done:
        game.move("right" if game.step_count % 20 < 9 else "down")
    ref = game.reference()
    # The reference is the trained agent1 in your seat, same env seed, the same random agent2.
    from handson_rl.arena.rollout import play_episode

    env = MultiAgentArena()
    mine = trained_policy("agent1", seed=3)
    theirs = RandomPolicy(env.get_action_space("agent2"), seed=2)
    returns, _ = play_episode(env, {"agent1": mine, "agent2": theirs}, seed=1)
    assert ref.trained["agent1"] == pytest.approx(returns["agent1"])
    summary = game.summary()
    assert f"the trained agent1 scored {ref.trained['agent1']:+.1f}" in summary
    assert f"a random agent1 {ref.random['agent1']:+.1f}" in summary
    assert game.reference() is ref  # computed once per start


def test_bad_settings_are_refused():
    with pytest.raises(PlayError, match="agent1 explores, agent2 chases"):
        a_game("agent3")
    with pytest.raises(PlayError, match="opponent must be one of"):
        a_game("agent1", "smart")
    with pytest.raises(PlayError, match="no act"):
        a_game("agent1", object())
    with pytest.raises(PlayError, match="seed must be an int"):
        a_game("agent1", seed="1")
    with pytest.raises(PlayError, match="mode must be one of"):
        play("agent1", mode="gui")


def test_your_own_policy_as_opponent():
    class Up:
        def act(self, observation):
            return 0

    game = a_game("agent1", Up(), seed=0)
    assert game.move("right").other == "up"
    assert game.opponent_name == "your policy as agent2"


# ------------------------------------------------------------ the widget's logic
def test_widget_buttons_move_and_redraw():
    view = PlayView(a_game("agent1", "random", seed=1))
    board = view.board.value
    assert 'class="arena-step">0<' in view.status.value
    view.buttons["right"].click()
    assert 'class="arena-step">1<' in view.status.value
    assert 'class="arena-reward-you">+1.0<' in view.status.value
    assert view.board.value != board
    assert "<td>right</td>" in view.log.value
    view.restart_button.click()
    assert 'class="arena-step">0<' in view.status.value and view.board.value == board


def test_widget_shows_the_summary_and_disables_the_arrows_at_the_end():
    view = PlayView(a_game("agent1", "random", seed=1))
    for _ in range(100):
        view.press("down")
    assert (
        "Episode over" in view.summary.value and "the trained agent1 scored" in view.summary.value
    )
    assert all(button.disabled for button in view.buttons.values())
    view.press("up")  # a late key press does nothing
    assert view.game.step_count == 100
    view.restart()
    assert view.summary.value == "" and not any(b.disabled for b in view.buttons.values())


def test_keyboard_script_targets_this_control_only():
    a, b = PlayView(a_game()), PlayView(a_game())
    assert a.key_class != b.key_class and a.key_class in a.widget._dom_classes
    js = a.keyboard_js()
    assert a.key_class in js and '"ArrowUp": "up"' in js and "data-lm-suppress-shortcuts" in js


# ------------------------------------------------------ without a widget frontend
def test_headless_play_shows_the_state_without_waiting(monkeypatch, capsys):
    monkeypatch.setattr("builtins.input", lambda *a: pytest.fail("play() waited for input"))
    monkeypatch.setenv("HANDSON_RL_FRONTEND", "headless")
    game = play("agent2", opponent="random", seed=0)
    out = capsys.readouterr().out
    assert game.step_count == 0
    assert "You are agent2" in out and "|1" in out and "run this in JupyterLab" in out


def test_text_prompt_plays_restarts_and_stops():
    replies = iter(["d", "jump", "s", "r", "ArrowRight", "q"])
    written = []
    game = play_text(
        a_game("agent1", "random", seed=0),
        read=lambda prompt: next(replies),
        write=written.append,
    )
    text = "\n".join(written)
    assert "'jump' is not a move" in text
    assert "step 1: you right" in text and "step 2: you down" in text
    assert game.step_count == 1 and game.history[0].you == "right"  # after the restart
    assert "So far (step 1/100)" in written[-1]


def test_text_prompt_to_the_end_and_input_closing():
    replies = iter(["s"] * 100 + ["n"])
    written = []
    game = play_text(a_game(seed=0), read=lambda prompt: next(replies), write=written.append)
    assert game.done and "Episode over" in written[-1]

    def closed(prompt):
        raise EOFError

    game = play_text(a_game(seed=0), read=closed, write=written.append)
    assert game.step_count == 0


def test_play_in_text_mode_uses_input(monkeypatch, capsys):
    replies = iter(["w", "q"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(replies))
    game = play("agent1", seed=0, mode="text")
    assert game.step_count == 1


def test_static_picture_for_the_website():
    page = static_html(a_game("agent1", "trained", seed=5))
    assert page.count('src="data:image/png;base64,') == 1
    assert "Run this notebook in JupyterLab to play" in page
    assert "You are agent1 (blue, 1), against the trained agent2" in page
    assert np.asarray(a_game().frame()).shape[2] == 3


def test_summary_without_the_pretrained_agents_says_why():
    from handson_rl.training.pretrained import PretrainedError

    def missing(agent, seed):
        raise PretrainedError("No pre-trained module 'p1' in 'pretrained/arena_ppo'.")

    game = a_game("agent1", "random", seed=0, trained=missing)
    while not game.done:
        game.move("down")
    summary = game.summary()
    assert (
        "Episode over" in summary
        and "(No trained agent1 to compare with: No pre-trained module" in summary
    )


def test_a_game_without_trained_agents_plays_random_and_says_so():
    with pytest.raises(PlayError, match="no trained agent"):
        ArenaGame("agent1", "trained")
    game = ArenaGame("agent1", "random", seed=0)
    while not game.done:
        game.move("down")
    assert "(No trained agent1 to compare with: This game has no trained agent" in game.summary()


def test_an_error_in_a_button_callback_shows_in_the_control():
    class Broken:
        def act(self, observation):
            raise RuntimeError("my policy broke")

    view = PlayView(a_game("agent1", Broken(), seed=0))
    view.buttons["up"].click()
    assert "RuntimeError: my policy broke" in view.summary.value
