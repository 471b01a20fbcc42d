"""What chapter 11 teaches about breakpoints, checked on the installed Ray.

Each case runs the way a learner meets it: a script in a fresh Python process,
or a cell in a real Jupyter kernel.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import nbclient
import nbformat
import pytest

pytestmark = pytest.mark.ray

INIT = "import ray\nray.init(num_cpus=1, include_dashboard=False)\n"


def _script(tmp_path, body: str):
    path = tmp_path / "script.py"
    path.write_text(INIT + textwrap.dedent(body) + "ray.shutdown()\n")
    return path


def test_pdb_set_trace_and_legacy_breakpoint_give_a_pdb_prompt_after_ray_init(tmp_path):
    path = _script(tmp_path, """
        import os, pdb
        x = 41
        pdb.set_trace()
        print("after pdb", flush=True)
        os.environ["RAY_DEBUG"] = "legacy"
        breakpoint()
        print("after legacy breakpoint", flush=True)
    """)
    out = subprocess.run(
        [sys.executable, str(path)], input="p x + 1\nc\np x * 2\nc\n",
        capture_output=True, text=True, timeout=120,
    ).stdout
    assert out.count("(Pdb)") >= 2, out
    assert "42" in out and "82" in out, out  # the prompts evaluated our commands
    assert "after pdb" in out and "after legacy breakpoint" in out, out


def test_breakpoint_after_ray_init_waits_for_the_distributed_debugger(tmp_path):
    path = _script(tmp_path, """
        import os
        print("hook:", os.environ["PYTHONBREAKPOINT"], flush=True)
        breakpoint()
        print("never printed", flush=True)
    """)
    proc = subprocess.Popen(
        [sys.executable, str(path)], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    seen, deadline = [], time.monotonic() + 90
    try:
        for line in proc.stdout:
            seen.append(line)
            if "Waiting for debugger to attach" in line or time.monotonic() > deadline:
                break
        time.sleep(2)  # it would print "never printed" here if it did not wait
        assert proc.poll() is None, "the script ended instead of waiting:\n" + "".join(seen)
    finally:
        import os
        import signal

        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    text = "".join(seen)
    assert "hook: ray.util.rpdb._driver_set_trace" in text, text
    assert "Waiting for debugger to attach" in text, text
    assert "never printed" not in text


def test_in_a_jupyter_kernel_breakpoint_is_skipped_and_pdb_asks_for_input():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(
            "import time\nstart = time.perf_counter()\nbreakpoint()\n"
            "print('skipped in', round(time.perf_counter() - start, 1), 's')"
        ),
        nbformat.v4.new_code_cell("import pdb\npdb.set_trace()"),
    ])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    first = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "skipped in" in first, nb.cells[0].outputs
    # pdb asks the front end for input: JupyterLab shows a (Pdb) box under the cell;
    # nbclient has no stdin, so the kernel reports exactly that.
    errors = [o for o in nb.cells[1].outputs if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "StdinNotImplementedError", nb.cells[1].outputs
