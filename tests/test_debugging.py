"""What chapter 11 teaches about breakpoints, checked on the installed Ray.

Each case runs the way a learner meets it: a script in a fresh Python process,
or a cell in a real Jupyter kernel.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import nbclient
import nbformat
import pytest

pytestmark = pytest.mark.ray

INIT = "import ray\nray.init(num_cpus=1, include_dashboard=False)\n"


PDB_SCRIPT = """
import os, pdb
x = 41
pdb.set_trace()
print("after pdb", flush=True)
os.environ["RAY_DEBUG"] = "legacy"
breakpoint()
print("after legacy breakpoint", flush=True)
"""
PDB_INPUT = "p x + 1\nc\np x * 2\nc\n"

WAIT_SCRIPT = """
import os
print("hook:", os.environ["PYTHONBREAKPOINT"], flush=True)
breakpoint()
print("never printed", flush=True)
"""


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    """Both scripts started at once (each spends most of its time starting its Ray),
    each in its own process group, output to a file."""
    folder = tmp_path_factory.mktemp("debugging")
    procs = {}
    for name, body in (("pdb", PDB_SCRIPT), ("wait", WAIT_SCRIPT)):
        path = folder / f"script_{name}.py"  # not pdb.py: that would shadow pdb
        path.write_text(INIT + body + "ray.shutdown()\n")
        out = (folder / f"{name}.out").open("w+")
        proc = subprocess.Popen(
            [sys.executable, str(path)],
            stdin=subprocess.PIPE if name == "pdb" else subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        proc.out = out
        procs[name] = proc
    procs["pdb"].stdin.write(PDB_INPUT)  # pdb reads it when its prompts come
    procs["pdb"].stdin.close()
    try:
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.out.close()


def _output(proc) -> str:
    proc.out.seek(0)
    return proc.out.read()


def test_pdb_set_trace_and_legacy_breakpoint_give_a_pdb_prompt_after_ray_init(scripts):
    proc = scripts["pdb"]
    proc.wait(timeout=120)
    out = _output(proc)
    assert out.count("(Pdb)") >= 2, out
    assert "42" in out and "82" in out, out  # the prompts evaluated our commands
    assert "after pdb" in out and "after legacy breakpoint" in out, out


def test_breakpoint_after_ray_init_waits_for_the_distributed_debugger(scripts):
    proc = scripts["wait"]
    deadline = time.monotonic() + 90
    while "Waiting for debugger to attach" not in _output(proc) and proc.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(2)  # it would print "never printed" here if it did not wait
    try:
        assert proc.poll() is None, "the script ended instead of waiting:\n" + _output(proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    text = _output(proc)
    assert "hook: ray.util.rpdb._driver_set_trace" in text, text
    assert "Waiting for debugger to attach" in text, text
    assert "never printed" not in text


def test_in_a_jupyter_kernel_breakpoint_is_skipped_and_pdb_asks_for_input():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import time\nstart = time.perf_counter()\nbreakpoint()\n"
                "print('skipped in', round(time.perf_counter() - start, 1), 's')"
            ),
            nbformat.v4.new_code_cell("import pdb\npdb.set_trace()"),
        ]
    )
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    first = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "skipped in" in first, nb.cells[0].outputs
    # pdb asks the front end for input: JupyterLab shows a (Pdb) box under the cell;
    # nbclient has no stdin, so the kernel reports exactly that.
    errors = [o for o in nb.cells[1].outputs if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "StdinNotImplementedError", nb.cells[1].outputs
