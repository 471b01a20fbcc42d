"""Cells run twice, algorithms built twice, CPUs that are not free.

- The "run every cell twice" IPython extension (handson_rl.maintainers.rerun).
- The course config's check before ``build_algo()`` and TuneProgress's check
  before the first trial (handson_rl.training.cpus), with fake Ray numbers (fast)
  and on the suite's Ray (marked ``ray``).
- Every chapter with each code cell run twice, smoke budget (``COURSE_RERUN=all``
  for all 12, ``COURSE_RERUN=03,05`` for some; none by default: CI's smoke website
  runs chapter 3, which teaches the pattern, so, and a built-site test checks it).
  A cell slower than ``COURSE_RERUN_CELL_LIMIT`` seconds (300) is a hang.
"""

from __future__ import annotations

import os
import pickle
import time

import pytest

from handson_rl.maintainers import rerun
from handson_rl.paths import SOLUTIONS_DIR
from handson_rl.training import cpus


# ------------------------------------------------------------ the extension
@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    rerun.load_ipython_extension(ip)
    try:
        yield ip
    finally:
        rerun.unload_ipython_extension(ip)


def test_each_cell_runs_twice_and_only_the_second_run_prints(shell, capsys):
    shell.run_cell("runs = 0")
    capsys.readouterr()
    result = shell.run_cell("runs += 1\nprint('run', runs)")
    assert result.success
    assert shell.user_ns["runs"] == 2
    assert capsys.readouterr().out == "run 2\n"


def test_the_second_run_shows_the_cells_value(shell):
    shell.run_cell("counter = [0]")
    result = shell.run_cell("counter[0] += 1\ncounter[0]")
    assert result.result == 2


def test_an_error_of_the_first_run_says_so(shell):
    result = shell.run_cell("import os\nos.environ.pop('HANDSON_RERUN_PROBE', None) or 1/0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert any("first of this cell's two runs" in note for note in result.error_in_exec.__notes__)


def test_a_cell_that_only_works_once_fails(shell):
    shell.run_cell("doomed = 1")
    result = shell.run_cell("del doomed")
    assert isinstance(result.error_in_exec, NameError)


def test_the_first_runs_displays_are_hidden(shell):
    published = []
    real = shell.display_pub.publish
    shell.display_pub.publish = lambda data, *a, **k: published.append(data)
    try:
        shell.run_cell(
            "from IPython.display import display\ndisplay({'text/plain': 'shown'}, raw=True)"
        )
    finally:
        shell.display_pub.publish = real
    assert published == [{"text/plain": "shown"}]


def test_unloading_stops_the_second_run(shell):
    rerun.unload_ipython_extension(shell)
    shell.run_cell("once = 0")
    shell.run_cell("once += 1")
    assert shell.user_ns["once"] == 1


def test_an_ipython_dir_turns_run_twice_on_for_every_kernel(tmp_path):
    from jupyter_client.manager import start_new_kernel

    rerun.main(["--make-ipython-dir", str(tmp_path)])
    km, kc = start_new_kernel(kernel_name="python3", env=dict(os.environ, IPYTHONDIR=str(tmp_path)))
    try:
        shown = []
        for code in ("x = 0", "x += 1\nprint('x =', x)"):
            kc.execute_interactive(
                code, timeout=60, output_hook=lambda m: shown.append(m["content"].get("text", ""))
            )
        assert "".join(shown) == "x = 2\n"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# --------------------------------------------- the CPU check, with fake Ray
class _FakeRay:
    def __init__(self, total, free):
        self.total, self.free = total, free

    def is_initialized(self):
        return True

    def cluster_resources(self):
        return {"CPU": self.total}

    def available_resources(self):
        return {"CPU": self.free}


class _Group:
    def __init__(self, n):
        self.n = n

    def num_remote_env_runners(self):
        return self.n


class _FakeAlgo:
    """Holds ``runners`` CPUs of ``ray`` until stop()."""

    def __init__(self, ray, runners):
        from handson_rl.training.config import arena_ppo_config

        self.ray, self.config = ray, arena_ppo_config(num_env_runners=runners)
        self.env_runner_group = _Group(runners)
        self.learner_group = None
        ray.free -= runners
        self.stopped = False

    def stop(self):
        self.ray.free += self.env_runner_group.n
        self.env_runner_group = _Group(0)
        self.stopped = True


@pytest.fixture
def fake_ray(monkeypatch):
    import ray

    fake = _FakeRay(total=2, free=2)
    for name in ("is_initialized", "cluster_resources", "available_resources"):
        monkeypatch.setattr(ray, name, getattr(fake, name))
    monkeypatch.setattr(cpus, "_BUILT", type(cpus._BUILT)())
    return fake


def _request(n):
    return cpus.CPURequest(n, [f"{n} env runners x 1 CPU"])


def test_remote_cpus_counts_env_runners_and_remote_learners():
    from handson_rl.training.config import arena_ppo_config

    assert cpus.remote_cpus(arena_ppo_config()).cpus == 2
    assert cpus.remote_cpus(arena_ppo_config(num_env_runners=0)).cpus == 0
    config = arena_ppo_config(num_env_runners=1).learners(num_learners=2)
    request = cpus.remote_cpus(config)
    assert request.cpus == 3
    assert request.describe() == "1 env runner x 1 CPU + 2 remote learners x 1 CPU"


def test_enough_free_cpus_stop_nothing(fake_ray, capsys):
    old = _FakeAlgo(fake_ray, 1)
    cpus.track(old)
    cpus.make_room(_request(1), wait_s=0.2)
    assert not old.stopped and capsys.readouterr().out == ""


def test_the_oldest_algorithm_holding_cpus_is_stopped_and_named(fake_ray, capsys):
    idle = _FakeAlgo(fake_ray, 0)  # holds nothing: never stopped
    first, second = _FakeAlgo(fake_ray, 1), _FakeAlgo(fake_ray, 1)
    for algo in (idle, first, second):
        cpus.track(algo)
    start = time.monotonic()
    cpus.make_room(_request(1), wait_s=0.5)
    assert time.monotonic() - start < 5
    assert (idle.stopped, first.stopped, second.stopped) == (False, True, False)
    out = capsys.readouterr().out
    assert out.startswith("Stopped an earlier algorithm (_FakeAlgo, built") and "algo.stop()" in out


def test_cpus_held_by_something_else_fail_within_seconds(fake_ray):
    fake_ray.free = 0
    start = time.monotonic()
    with pytest.raises(
        cpus.NotEnoughCPUsError,
        match=r"needs 2 CPUs \(2 env runners x 1 CPU\), but only 0 of this Ray's 2",
    ):
        cpus.make_room(_request(2), wait_s=0.5)
    assert time.monotonic() - start < 5


def test_more_cpus_than_ray_has_fail_at_once(fake_ray):
    with pytest.raises(cpus.NotEnoughCPUsError, match="has only 2 in all.*num_env_runners=0"):
        cpus.make_room(_request(3))


def test_cpus_freed_a_moment_ago_are_waited_for(fake_ray):
    fake_ray.free = 0
    import threading

    threading.Timer(0.5, lambda: setattr(fake_ray, "free", 2)).start()
    cpus.make_room(_request(2), wait_s=3)  # no error: they came back


def test_a_tune_trial_counts_the_cpus_tunes_placement_groups_hold(fake_ray, monkeypatch):
    import ray.util

    fake_ray.free = 0
    tables = {
        "created": {"a": {"state": "CREATED", "bundles": {0: {"CPU": 1.0}}}},
        "pending": {"a": {"state": "PENDING", "bundles": {0: {"CPU": 1.0}}}},
    }
    monkeypatch.setattr(ray.util, "placement_group_table", lambda: tables["created"])
    assert cpus.free_cpus_for_tune() == 1
    cpus.make_room(_request(1), free=cpus.free_cpus_for_tune, wait_s=0.2)
    monkeypatch.setattr(ray.util, "placement_group_table", lambda: tables["pending"])
    with pytest.raises(cpus.NotEnoughCPUsError):
        cpus.make_room(_request(1), free=cpus.free_cpus_for_tune, wait_s=0.2)


def test_the_course_config_is_a_ppo_config_that_survives_copy_and_pickle():
    from ray.rllib.algorithms.ppo import PPOConfig

    from handson_rl.training.config import CoursePPOConfig, arena_ppo_config

    config = arena_ppo_config(seed=0)
    assert isinstance(config, PPOConfig)
    for again in (config.copy(), pickle.loads(pickle.dumps(config))):
        assert type(again) is CoursePPOConfig
        assert again.to_dict() == config.to_dict()


# ------------------------------------------------------- on the suite's Ray
@pytest.fixture
def quick_config():
    from handson_rl.training.config import arena_ppo_config

    return arena_ppo_config(
        seed=0,
        num_env_runners=2,
        num_envs_per_env_runner=2,
        train_batch_size=200,
        minibatch_size=200,
        num_epochs=1,
    )


def test_building_twice_stops_the_first_and_a_checkpoint_restores(
    ray_session, quick_config, capsys, tmp_path
):
    from ray.rllib.algorithms.algorithm import Algorithm

    first = quick_config.build_algo()
    try:
        first.train()
        start = time.monotonic()
        second = quick_config.build_algo()  # waited forever before
        assert time.monotonic() - start < 120
        assert "Stopped an earlier algorithm (PPO" in capsys.readouterr().out
        assert cpus.held_cpus(first) == 0
        from handson_rl.training.loop import train

        with pytest.raises(RuntimeError, match="This algorithm was stopped"):
            train(first, 1)
        second.train()
        second.save_to_path(str(tmp_path))
        second.stop()
        # The course's load_algorithm checks and tracks like build_algo does.
        from handson_rl.training.checkpoints import load_algorithm

        loaded = load_algorithm(tmp_path)
        capsys.readouterr()
        load_algorithm(tmp_path).stop()
        assert "Stopped an earlier algorithm (PPO" in capsys.readouterr().out
        assert cpus.held_cpus(loaded) == 0
        restored = Algorithm.from_checkpoint(str(tmp_path))
        try:
            restored.train()
            # Restored from a checkpoint, it was not built here: a build fails fast.
            start = time.monotonic()
            with pytest.raises(cpus.NotEnoughCPUsError, match="restored from a checkpoint"):
                quick_config.build_algo()
            assert time.monotonic() - start < 30
        finally:
            restored.stop()
    finally:
        first.stop()


def test_a_tune_trial_that_can_never_start_fails_at_once(ray_session, tmp_path):
    from ray import tune
    from ray.rllib.algorithms.ppo import PPO

    from handson_rl.tools.tuning import TuneProgress
    from handson_rl.training.config import arena_ppo_config

    tuner = tune.Tuner(
        PPO,
        param_space=arena_ppo_config(seed=0, num_env_runners=2),  # 3 CPUs per trial
        run_config=tune.RunConfig(
            name="too_big",
            storage_path=str(tmp_path),
            stop={"training_iteration": 1},
            verbose=0,
            callbacks=[TuneProgress()],
        ),
    )
    start = time.monotonic()
    with pytest.raises(
        cpus.NotEnoughCPUsError,
        match=r"Each trial of this Tune run needs 3 CPUs \(1 for the trial's own process \+ 2 for",
    ):
        tuner.fit()
    assert time.monotonic() - start < 60


def test_a_tune_run_stops_the_algorithm_that_holds_the_cpus(
    ray_session, quick_config, tmp_path, capsys
):
    from ray import tune
    from ray.rllib.algorithms.ppo import PPO

    from handson_rl.tools.tuning import TuneProgress

    algo = quick_config.build_algo()
    try:
        tuner = tune.Tuner(
            PPO,
            param_space=quick_config.copy().env_runners(num_env_runners=0),
            run_config=tune.RunConfig(
                name="after_algo",
                storage_path=str(tmp_path),
                stop={"training_iteration": 1},
                verbose=0,
                callbacks=[TuneProgress()],
            ),
        )
        grid = tuner.fit()
        assert not grid.errors
        assert "Stopped an earlier algorithm (PPO" in capsys.readouterr().out
    finally:
        algo.stop()


# ------------------------------------------------ every chapter, each cell twice
def _chapters():
    """``COURSE_RERUN=all``: every chapter; ``03,05``: those; unset or ``none``: none here.

    CI checks chapter 3, which teaches the pattern, without a run of its own: its
    smoke website executes chapter 3 with each cell twice (``course.sh test``:
    ``site --twice 03``), and :func:`test_the_website_ran_chapter_3_with_each_cell_twice`
    checks that it did.
    """
    paths = sorted(SOLUTIONS_DIR.glob("[0-9][0-9]_*.ipynb"))
    choice = os.environ.get("COURSE_RERUN", "").lower().strip()
    if choice == "all":
        return paths
    if choice in ("", "none"):
        return []
    wanted = tuple(c.strip() for c in choice.split(",") if c.strip())
    return [p for p in paths if p.name.startswith(wanted)]


@pytest.mark.ray
@pytest.mark.parametrize("path", _chapters(), ids=lambda p: p.stem)
def test_every_cell_can_run_twice(path, monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "smoke")
    row = rerun.run_chapter(path, cell_limit=float(os.environ.get("COURSE_RERUN_CELL_LIMIT", 300)))
    assert row["hang"] is None, row["hang"]
    assert row["error"] is None, row["error"]


@pytest.mark.built_site
def test_the_website_ran_chapter_3_with_each_cell_twice(built_site_html):
    """CI's smoke site executed chapter 3 with every cell run twice; a cell that raised
    or hung on its second run would have failed the build before this test runs."""
    from pathlib import Path

    from handson_rl.maintainers.site_execute import ran_each_cell_twice

    html = built_site_html
    assert ran_each_cell_twice(Path(html), "03_training_ppo"), (
        "the site ran chapter 3 once: course.sh test builds it with `--twice 03`"
    )


# ------------------------------------------------------ cells run out of order
def test_train_given_none_or_a_config_names_the_cell_to_run():
    from handson_rl.training.config import arena_ppo_config
    from handson_rl.training.loop import train

    with pytest.raises(
        TypeError,
        match=r"got None\. Run the cell that builds it first \(algo = config.build_algo\(\)\)",
    ):
        train(None, 1)
    with pytest.raises(
        TypeError, match=r"got a CoursePPOConfig \(a config: call its .build_algo\(\)\)"
    ):
        train(arena_ppo_config(), 1)


def test_train_on_a_stopped_algorithm_says_it_was_stopped():
    from types import SimpleNamespace

    from handson_rl.training.loop import train

    stopped = SimpleNamespace(
        train=lambda: {}, config=SimpleNamespace(num_env_runners=2), env_runner_group=_Group(0)
    )
    with pytest.raises(RuntimeError, match="This algorithm was stopped"):
        train(stopped, 1)
