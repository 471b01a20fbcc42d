"""Concept checks: the mechanism (ask/check/reveal, the website's folded answer) and
every answer, checked against the game, the trained agents or the formula it rests on."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from handson_rl.arena import ArenaStateError, MultiAgentArena
from handson_rl.arena.baseline import random_play
from handson_rl.arena.rollout import mean_returns, random_policies
from handson_rl.exercises import concepts
from handson_rl.exercises.concepts import QUESTIONS, ConceptCheckError, ask, check, feedback, reveal
from handson_rl.maintainers.build import ANSWER_PROMPTS, LessonError, build_lesson
from handson_rl.paths import LESSONS_DIR
from handson_rl.progress import passed

#: A fresh progress file and a learner at the keyboard (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("progress_file")


# ------------------------------------------------------------------ mechanism
@pytest.mark.parametrize("qid", list(QUESTIONS))
def test_every_question_is_complete(qid):
    q = QUESTIONS[qid]
    assert q.answer in q.choices and len(q.choices) >= 3
    assert set(q.why) == set(q.choices), "every choice needs its own explanation"
    assert q.id.startswith(f"ch{q.chapter}-")
    assert len({text for text in q.why.values()}) == len(q.why), "explanations must differ"


@pytest.mark.parametrize("qid", list(QUESTIONS))
def test_right_answer_is_recorded_and_wrong_ones_are_explained(qid, capsys, progress_file):
    q = QUESTIONS[qid]
    for letter in q.choices:
        if letter == q.answer:
            continue
        assert check(qid, letter) is False
        out = capsys.readouterr().out
        assert out.startswith(f"Not quite ({letter})")
        assert (False, out.strip()) == feedback(qid, letter)  # what check printed
        words = re.findall(r"[A-Za-z]{5,}", q.why[letter])[:6]  # the choice's explanation
        assert words and all(word in out for word in words), (words, out)
    assert qid not in passed(progress_file)
    assert check(qid, q.answer.upper() + ")") is True  # "B)" is read as "b"
    out = capsys.readouterr().out
    assert out.startswith(f"Right ({q.answer})")
    assert passed(progress_file)[qid]["chapter"] == q.chapter


def test_placeholder_and_bad_answers(capsys):
    assert check("ch2-truncated", "?") is None
    assert "Not answered yet" in capsys.readouterr().out
    assert check("ch2-truncated", None) is None
    with pytest.raises(
        ConceptCheckError, match=r"not one of the choices .* \['a', 'b', 'c', 'd'\]"
    ):
        check("ch2-truncated", "e")
    with pytest.raises(ConceptCheckError, match="letter in quotes"):
        check("ch2-truncated", 2)
    with pytest.raises(
        ConceptCheckError, match="There is no concept check 'ch2-trunc'.*ch2-truncated"
    ):
        check("ch2-trunc", "b")


def test_ask_headless_prints_without_waiting(monkeypatch, capsys):
    monkeypatch.setenv("HANDSON_RL_FRONTEND", "headless")
    monkeypatch.setattr("builtins.input", lambda *a: pytest.fail("ask() waited for input"))
    assert ask("ch2-catches") is None
    out = capsys.readouterr().out
    assert "about once" in out and 'check("ch2-catches", "a")' in out


def test_ask_in_a_terminal_reads_the_answer(monkeypatch, capsys, progress_file):
    monkeypatch.setenv("HANDSON_RL_FRONTEND", "text")
    monkeypatch.setattr("builtins.input", lambda prompt: "b")
    ask("ch2-catches")
    assert "Right (b)" in capsys.readouterr().out
    assert "ch2-catches" in passed(progress_file)


def test_answer_widget_gives_feedback(progress_file):
    box = concepts.answer_widget("ch12-episodes")
    choices, button, out = box.children
    button.click()
    assert "Pick an answer first" in out.value
    choices.value = "b"
    button.click()
    assert "Not quite (b)" in out.value and "ch12-episodes" not in passed(progress_file)
    choices.value = "a"
    button.click()
    assert "Right (a)" in out.value and "ch12-episodes" in passed(progress_file)


def test_reveal_shows_the_answer_and_each_wrong_choice(capsys):
    reveal("ch2-truncated")
    out = capsys.readouterr().out
    assert out.startswith("Answer: b)")
    assert out.count("\n- ") == 3  # a, c, d explained


def _lessons():
    return sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))


def _asked():
    found = {}
    for lesson in _lessons():
        for qid in re.findall(r"""\bask\(\s*["']([\w.-]+)["']""", lesson.read_text()):
            found.setdefault(qid, []).append(lesson.name)
    return found


def test_every_question_is_asked_once_in_its_chapter():
    asked = _asked()
    assert set(asked) == set(QUESTIONS), set(asked) ^ set(QUESTIONS)
    for qid, where in asked.items():
        assert len(where) == 1, f"{qid} is asked in {where}"
        assert int(where[0][:2]) == QUESTIONS[qid].chapter, f"{qid} is asked in {where[0]}"


@pytest.mark.parametrize("chapter", ["02", "12"])
def test_the_website_folds_the_answer_under_each_question(chapter):
    lesson = next(LESSONS_DIR.glob(f"{chapter}_*.py"))
    page = json.loads(build_lesson(lesson, variants=("site",))["site"])
    cells = page["cells"]
    asks = [i for i, c in enumerate(cells) if "concept" in c["metadata"].get("tags", [])]
    assert len(asks) >= 2
    for i in asks:
        qid = re.search(r'ask\("([^"]+)"\)', "".join(cells[i]["source"])).group(1)
        answer = cells[i + 1]
        assert "".join(answer["source"]).endswith(f"reveal({qid!r})")
        assert answer["metadata"]["tags"] == ["remove-input", "hide-output"]
        assert answer["metadata"]["mystnb"] == ANSWER_PROMPTS
    # The learners' notebooks have no answer cell.
    solution = json.loads(build_lesson(lesson, variants=("solution",))["solution"])
    assert not any("reveal(" in "".join(c["source"]) for c in solution["cells"])


def test_a_concept_cell_without_ask_is_refused(tmp_path):
    lesson = tmp_path / "99_x.py"
    lesson.write_text('# %% [markdown]\n# # 99. X\n\n# %% tags=["concept"]\nprint("no question")\n')
    with pytest.raises(LessonError, match="tagged concept must call ask"):
        build_lesson(lesson, variants=("site",))


# ------------------------------------------------------ the answers are true
def _answer(qid):
    return QUESTIONS[qid].answer


def test_ch2_truncated_is_what_the_arena_does():
    assert _answer("ch2-truncated") == "b"
    env = MultiAgentArena()
    env.reset(seed=0)
    for _ in range(100):
        _, _, terminateds, truncateds, _ = env.step({"agent1": 1, "agent2": 3})
    assert truncateds["__all__"] is True and terminateds["__all__"] is False
    with pytest.raises(
        ArenaStateError
    ):  # choice d's "the 101st step raises" is true, but not the end signal
        env.step({"agent1": 1, "agent2": 3})


def test_ch2_catches_about_one_per_episode():
    assert _answer("ch2-catches") == "b"
    play = random_play(episodes=300)
    assert 0.5 <= play["collisions"]["mean"] < 1.5
    # The formula the explanation uses: agent2's return = 1.1 * catches - 10, per episode.
    assert play["agent2"]["mean"] == pytest.approx(1.1 * play["collisions"]["mean"] - 10)
    assert round(play["agent2"]["mean"]) == -9
    # Chapter 2's own loop (one generator for both agents) gives the same picture.
    env, rng, caught = MultiAgentArena(), np.random.default_rng(0), []
    for episode in range(300):
        obs, _ = env.reset(seed=episode)
        n, done = 0, False
        while not done:
            obs, _, term, trunc, infos = env.step({a: int(rng.integers(4)) for a in obs})
            n += infos["agent2"]["collision"]
            done = term["__all__"] or trunc["__all__"]
        caught.append(n)
    assert 0.5 <= np.mean(caught) < 1.5


def test_ch2_observation_leaves_out_the_visited_cells():
    assert _answer("ch2-observation") == "a"
    env = MultiAgentArena()
    obs, _ = env.reset(seed=0, options={"agent1_pos": [3, 4], "agent2_pos": [9, 9]})
    first, visited_first = obs["agent1"].copy(), env.visited
    for action in (1, 3):
        obs, rewards, *_ = env.step({"agent1": action, "agent2": 1})
    assert first.tolist() == obs["agent1"].tolist() == [34, 99]
    assert env.visited != visited_first and rewards["agent1"] == -0.5
    assert env.get_observation_space("agent1").shape == (2,)


def test_ch12_random_row_is_about_minus_nine():
    assert _answer("ch12-random-row") == "a"
    stats = mean_returns(random_policies(seed=200), episodes=300, seed=10_000)  # chapter 12's row
    assert -10 < stats["agent2"]["mean"] < -8.5
    assert round(stats["agent2"]["mean"]) == -9


def test_ch12_trained_chaser_beats_a_random_one():
    from handson_rl.training.policies import trained_policies
    from handson_rl.training.pretrained import load_pretrained

    assert _answer("ch12-chaser") == "a"
    trained = trained_policies(load_pretrained(), seed=100)
    random = random_policies(seed=200)
    vs_trained = mean_returns(
        {"agent1": trained["agent1"], "agent2": trained["agent2"]}, episodes=50, seed=10_000
    )
    vs_random = mean_returns(
        {"agent1": trained["agent1"], "agent2": random["agent2"]}, episodes=50, seed=10_000
    )
    gap = vs_trained["agent2"]["mean"] - vs_random["agent2"]["mean"]
    assert gap > 2 * np.hypot(vs_trained["agent2"]["sem"], vs_random["agent2"]["sem"]), gap


def test_ch12_four_times_the_episodes_halves_the_error():
    assert _answer("ch12-episodes") == "a"
    small = random_play(episodes=100, seed=5_000)
    large = random_play(episodes=400, seed=5_000)
    for key in ("agent1", "agent2"):
        ratio = large[key]["sem"] / small[key]["sem"]
        assert 0.4 < ratio < 0.6, (key, ratio)


def test_feedback_without_printing():
    ok, text = feedback("ch12-chaser", "c")
    assert ok is False and text.startswith("Not quite (c)")


@pytest.mark.built_site
def test_built_site_shows_questions_with_the_answer_folded_and_the_play_picture(built_site_html):
    from pathlib import Path

    html_dir = built_site_html
    for chapter in ("02_environment_and_spaces", "12_did_it_learn"):
        text = (Path(html_dir) / "chapters" / f"{chapter}.html").read_text()
        asked = [q for q in QUESTIONS.values() if q.chapter == int(chapter[:2])]
        assert all(q.id in text for q in asked)
        details = re.findall(r"<details[^>]*>(.*?)</details>", text, re.S)
        answers = [d for d in details if "Show answer" in d]
        assert len(answers) == len(asked), (
            f"{chapter}: {len(answers)} folded answers for {len(asked)} questions"
        )
        assert all("Answer:" in d for d in answers)
        assert "arena-play-picture" in text and "Run this notebook in JupyterLab to play" in text


def test_ch5_the_env_runners_copy_returns_logits_only():
    import torch
    from ray.rllib.core.columns import Columns

    from handson_rl.training.policies import one_hot
    from handson_rl.training.pretrained import load_pretrained

    assert _answer("ch5-inference-output") == "a"
    module = load_pretrained()["p1"]  # saved as the env runners' inference-only copy
    assert module.inference_only
    with torch.no_grad():
        out = module.forward_inference({Columns.OBS: torch.from_numpy(one_hot([0, 99]))[None]})
    assert list(out) == [Columns.ACTION_DIST_INPUTS]
    assert "vf" not in dict(module.named_children())


def test_ch5_softmax_of_two_and_zeros():
    import torch

    assert _answer("ch5-softmax") == "b"
    probs = torch.softmax(torch.tensor([2.0, 0.0, 0.0, 0.0]), dim=-1)
    assert round(float(probs[0]), 2) == 0.71 and round(float(probs[1]), 3) == 0.096


def test_ch6_rllib_evaluates_with_sampled_actions_by_default():
    from ray.rllib.algorithms.ppo import PPOConfig

    from handson_rl.training.config import arena_ppo_config

    assert _answer("ch6-evaluation-explore") == "b"
    for config in (PPOConfig(), arena_ppo_config()):
        assert config.explore is True and config.evaluation_config is None  # nothing overrides it


def test_ch6_greedy_play_costs_agent1_a_lot():
    from handson_rl.training.policies import ModulePolicy
    from handson_rl.training.pretrained import load_pretrained

    assert _answer("ch6-greedy") == "c"
    p = load_pretrained()
    sampled = mean_returns(
        {"agent1": ModulePolicy(p["p1"], seed=1), "agent2": ModulePolicy(p["p2"], seed=2)},
        episodes=50,
        seed=1000,
    )
    greedy = mean_returns(
        {
            "agent1": ModulePolicy(p["p1"], explore=False),
            "agent2": ModulePolicy(p["p2"], explore=False),
        },
        episodes=50,
        seed=1000,
    )
    assert greedy["agent1"]["mean"] < sampled["agent1"]["mean"] - 5, (greedy, sampled)


def test_ch1_discounted_return_of_the_example():
    assert _answer("ch1-discount") == "b"
    rewards = [1.0, 1.0, 1.0, -5.0]
    assert sum(0.5**k * r for k, r in enumerate(rewards)) == pytest.approx(1.125)
    assert sum(rewards) == -2.0


def test_ch4_one_input_whoever_asks():
    from handson_rl.training.policies import action_probabilities
    from handson_rl.training.pretrained import load_pretrained

    assert _answer("ch4-shared-input") == "a"
    env = MultiAgentArena()
    first, _ = env.reset(seed=0, options={"agent1_pos": [4, 4], "agent2_pos": [4, 5]})
    second, _ = env.reset(seed=0, options={"agent1_pos": [4, 5], "agent2_pos": [4, 4]})
    assert first["agent1"].tolist() == second["agent2"].tolist() == [44, 45]
    module = load_pretrained()["p1"]  # any one module, standing in for the shared one
    assert np.array_equal(
        action_probabilities(module, first["agent1"]),
        action_probabilities(module, second["agent2"]),
    )


def test_ch7_asha_rungs_of_the_full_course():
    from handson_rl.tools.tuning import asha_rungs

    assert _answer("ch7-asha-rungs") == "a"
    assert asha_rungs(16, 2, 2) == [2, 4, 8]
    lesson = next(LESSONS_DIR.glob("07_*.py")).read_text()
    assert "ASHA_MAX_T = pick(full=16" in lesson and "ASHA_GRACE = pick(full=2" in lesson
    assert (
        "asha_rungs(ASHA_MAX_T, ASHA_GRACE, 2)" in lesson
    )  # reduction_factor 2, as the question says


def test_ch3_clipping_never_stops_a_correction():
    from ray.rllib.algorithms.ppo import PPOConfig

    from handson_rl.training.config import arena_ppo_config

    assert _answer("ch3-clip") == "b"
    eps = PPOConfig().clip_param
    assert eps == arena_ppo_config().clip_param == 0.3

    def objective(r, advantage):
        return min(r * advantage, float(np.clip(r, 1 - eps, 1 + eps)) * advantage)

    for advantage in (-1.0, -2.5):
        slope = (objective(1.51, advantage) - objective(1.49, advantage)) / 0.02
        assert slope == pytest.approx(advantage)  # the unclipped gradient: the correction goes on
        assert objective(1.5, advantage) == pytest.approx(1.5 * advantage)
    assert (objective(1.51, 1.0) - objective(1.49, 1.0)) == 0  # a good action beyond 1.3: flat
