"""Notebook kernels as a learner uses them: interrupted, two at once, shut down.

Each test starts real IPython kernels (jupyter_client's KernelManager, the
machinery behind JupyterLab) in ``solutions/`` at the smoke budget and sends them
what JupyterLab sends: cells to execute, Kernel > Interrupt (``interrupt_kernel``,
a SIGINT), Kernel > Shut Down.

- Interrupting ``train()`` (remote env runners, and ``num_env_runners=0``) or a
  Tune run leaves the notebook usable: the progress line says so, the next cell
  runs, the algorithm trains on and stops.
- Two notebooks, each starting Ray, both work.
- No Ray process of a kernel outlives it: after a normal shutdown, after an
  interrupt, after a failed cell.
"""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path

import psutil
import pytest

from handson_rl.paths import SOLUTIONS_DIR

pytestmark = pytest.mark.ray

INIT = (
    "import ray\n"
    "from handson_rl.training.quiet import quiet_ray\n"
    "quiet_ray()\n"
    "ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)\n"
    "print('CPUs', ray.cluster_resources()['CPU'])"
)
SMALL = "num_envs_per_env_runner=2, train_batch_size=400, minibatch_size=400, num_epochs=1"


class Kernel:
    """A kernel and a client, as JupyterLab holds them for one notebook."""

    def __init__(self, cwd: Path = SOLUTIONS_DIR):
        from jupyter_client import KernelManager

        env = dict(os.environ, COURSE_BUDGET="smoke")
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd), env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self.pid = int(self.run("import os; print(os.getpid())")[1].strip())

    def run(self, code: str, timeout: float = 300.0, interrupt_when=None):
        """Execute ``code``; returns (reply content, all text it showed, seconds).

        ``interrupt_when(text)``: send Kernel > Interrupt once it returns True for
        the text shown so far (stream output and the latest display updates).
        """
        msg_id = self.kc.execute(code)
        shown: list[str] = []
        displays: dict[str, str] = {}
        interrupted = False
        start = time.monotonic()
        deadline = start + timeout
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.1, min(5.0, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"cell still running after {timeout} s:\n{code}\n{''.join(shown)[-2000:]}"
                    ) from None
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                shown.append(content["text"])
            elif kind in ("display_data", "update_display_data", "execute_result"):
                text = content.get("data", {}).get("text/plain", "")
                display_id = content.get("transient", {}).get("display_id")
                if display_id:
                    displays[display_id] = text
                else:
                    shown.append(text + "\n")
            elif kind == "error":
                shown.append(f"{content['ename']}: {content['evalue']}\n")
            elif kind == "status" and content["execution_state"] == "idle":
                break
            text = "".join(shown) + "\n".join(displays.values())
            if interrupt_when is not None and not interrupted and interrupt_when(text):
                self.km.interrupt_kernel()
                interrupted = True
        while True:  # skip replies to earlier requests (wait_for_ready's kernel_info, say)
            reply = self.kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                reply = reply["content"]
                break
        return reply, "".join(shown) + "\n".join(displays.values()), time.monotonic() - start

    def ok(self, code: str, timeout: float = 300.0) -> str:
        reply, text, _ = self.run(code, timeout)
        assert reply["status"] == "ok", (
            f"{reply.get('ename')}: {reply.get('evalue')}\n{text[-3000:]}"
        )
        return text

    def ray_processes(self) -> set[int]:
        """This kernel's Ray processes: its descendants, and anything in its Ray session folder."""
        session = self.ok(
            "import ray\n"
            "print(ray._private.worker._global_node.get_session_dir_path() if ray.is_initialized() else '')"
        ).strip()
        pids = {p.pid for p in psutil.Process(self.pid).children(recursive=True)}
        if session:
            for proc in psutil.process_iter(["pid", "cmdline"]):
                if any(session in part for part in (proc.info["cmdline"] or [])):
                    pids.add(proc.info["pid"])
        pids.discard(self.pid)
        return pids

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.add(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _gone_after(pids: set[int], seconds: float = 60.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.5)
    return _alive(pids)


def _shut_down_and_check(kernels) -> None:
    """Shut the kernels down as JupyterLab does; none of their Ray processes may remain."""
    pids = set()
    for k in kernels:
        if k.km.is_alive():
            pids |= k.ray_processes()
    for k in kernels:
        k.shutdown()
    leftover = _gone_after(pids)
    for pid in leftover:  # our own kernels' processes only: a failed test must not leak them
        psutil.Process(pid).kill()
    assert leftover == set(), [psutil.Process(p).name() for p in _alive(leftover)]


def _training(text: str) -> bool:
    return "iteration" in text and "(1/" in text


def _interrupt_train_then_go_on(kernel: Kernel, runners: int) -> None:
    kernel.ok(
        "from handson_rl.training.config import arena_ppo_config\n"
        "from handson_rl.training.loop import train\n"
        f"algo = arena_ppo_config(seed=0, num_env_runners={runners}, {SMALL}).build_algo()\n"
        "history = []"
    )
    reply, text, _ = kernel.run(
        "train(algo, 500, label='PPO', history=history)", interrupt_when=_training
    )
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", text[-2000:]
    assert (
        "interrupted after" in text and "continue with train(algo, ...) or call algo.stop()" in text
    )
    done = int(kernel.ok("print(len(history))").strip())
    assert 1 <= done < 500
    assert "(2/2)" in kernel.ok("train(algo, 2, label='again')")
    kernel.ok("algo.stop()\nalgo.stop()  # twice is fine too")
    assert (
        kernel.ok("import time; time.sleep(1); print(ray.available_resources().get('CPU'))").strip()
        == "2.0"
    )


def test_interrupted_training_and_tune_leave_the_notebook_usable_and_nothing_running(tmp_path):
    """Kernel > Interrupt in train() (2 remote env runners, then 0) and in tuner.fit();
    after each the next cells work; after Kernel > Shut Down no Ray process remains."""
    kernel = Kernel()
    try:
        kernel.ok(INIT)
        _interrupt_train_then_go_on(kernel, runners=2)
        _interrupt_train_then_go_on(kernel, runners=0)
        code = (
            "from ray import tune\n"
            "from ray.rllib.algorithms.ppo import PPO\n"
            "from handson_rl.tools.tuning import TuneProgress, results_table\n"
            f"space = arena_ppo_config(seed=0, num_env_runners=0, {SMALL}, lr=tune.grid_search([1e-3, 3e-3]))\n"
            "tuner = tune.Tuner(PPO, param_space=space, run_config=tune.RunConfig(\n"
            f"    name='interrupted', storage_path={str(tmp_path)!r}, stop={{'training_iteration': 500}},\n"
            "    verbose=0, callbacks=[TuneProgress()]))\n"
            "grid = tuner.fit()\n"
        )
        reply, text, _ = kernel.run(code, interrupt_when=lambda t: "it   1" in t)
        # Ray 2.60's Tune catches the first SIGINT itself: fit() saves the experiment
        # and returns what the trials reached.
        assert reply["status"] == "ok", text[-2000:]
        assert "iterations" in kernel.ok("print(results_table(grid)[['iterations']].to_string())")
        # The trials' CPUs are free again: a build that needs both starts at once.
        kernel.ok(
            f"algo = arena_ppo_config(seed=0, num_env_runners=2, {SMALL}).build_algo()\n"
            "train(algo, 1)",
            timeout=180,
        )
        # Interrupted once more, then shut down without algo.stop().
        reply, _, _ = kernel.run("train(algo, 500)", interrupt_when=_training)
        assert reply["ename"] == "KeyboardInterrupt"
    finally:
        _shut_down_and_check([kernel])


def test_two_notebooks_each_starting_ray_both_train_and_leave_nothing_running():
    """Two kernels, each with its own Ray; one ends normally, the other after a failed cell."""
    first, second = Kernel(), Kernel()
    try:
        for k in (first, second):
            k.ok(INIT, timeout=120)
        for k in (first, second):
            text = k.ok(
                "from handson_rl.training.config import arena_ppo_config\n"
                "from handson_rl.training.loop import train\n"
                # One remote env runner each: a process of each Ray to leave behind,
                # at half the start-up cost of the default two.
                f"algo = arena_ppo_config(seed=0, num_env_runners=1, {SMALL}).build_algo()\n"
                "train(algo, 1)",
                timeout=240,
            )
            assert "(1/1)" in text
        sessions = {
            k.ok("print(ray._private.worker._global_node.session_name)").strip()
            for k in (first, second)
        }
        assert len(sessions) == 2  # each notebook has its own Ray
        names = {psutil.Process(p).name() for p in _alive(first.ray_processes())}
        assert {"gcs_server", "raylet"} <= names, names  # what the leftover check looks for exists
        reply, _, _ = second.run("algo.train(); 1 / 0")
        assert reply["ename"] == "ZeroDivisionError"
    finally:
        _shut_down_and_check([first, second])
