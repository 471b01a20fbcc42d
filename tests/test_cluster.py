"""A real two-node Ray cluster on loopback: its nodes, its token, a clean stop;
placement over both nodes and a Ray Job, as chapter 10 ran them.

One cluster for the whole module (starting one costs tens of seconds); the tests
run in file order and the last one stops it. The suite's shared Ray is shut down
for this module (``no_local_ray``): ``connect()`` needs no Ray running in-process.

Training on the cluster (an env runner on each node) and training as a Ray Job are
what chapter 10 does on the same kind of cluster; the website build has executed
it, so the built-site test reads its outputs instead of running both again.
"""

import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from handson_rl.tools.cluster import (
    NODE_IP,
    _group_alive,
    free_port,
    start_local_cluster,
    wait_for_nodes,
)
from handson_rl.training.session import connect


def test_free_port_is_free_and_on_loopback():
    import socket

    port = free_port()
    assert isinstance(port, int) and 1024 <= port <= 65535
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # raises OSError if something holds the port
        s.listen()
        assert s.getsockname() == ("127.0.0.1", port)
        # While something listens on it, it is taken: free_port must not return it
        # (the OS hands out a different ephemeral port).
        assert free_port() != port


def test_group_alive_follows_a_real_process_group():
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)  # its own group
    try:
        assert _group_alive(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert not _group_alive(proc.pid)


def test_bad_sizes_raise_before_starting_anything():
    with pytest.raises(ValueError, match="num_nodes must be at least 1"):
        start_local_cluster(num_nodes=0)
    with pytest.raises(ValueError, match="cpus_per_node must be at least 1"):
        start_local_cluster(cpus_per_node=0)


@pytest.fixture(scope="module")
def cluster(no_local_ray):
    """Connecting to the cluster needs no other Ray in this process (see conftest)."""
    import ray

    with start_local_cluster(num_nodes=2, cpus_per_node=1) as c:
        yield c
        ray.shutdown()


def test_two_nodes_on_loopback(cluster):
    import ray

    assert cluster.address.startswith(NODE_IP + ":")
    assert cluster.dashboard_url.startswith("http://127.0.0.1:")
    connect(cluster.address)
    nodes = wait_for_nodes(2)
    assert len(nodes) == 2
    assert all(n["NodeManagerAddress"].startswith("127.") for n in nodes)
    assert ray.cluster_resources()["CPU"] == 2
    ray.shutdown()


def test_dashboard_refuses_requests_without_the_token(cluster):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(cluster.dashboard_url + "/api/jobs/", timeout=30)
    assert error.value.code in (401, 403)


def test_stop_ends_exactly_the_cluster_processes(cluster):
    groups = [node.process.pid for node in cluster.nodes]
    assert all(_group_alive(g) for g in groups)
    cluster.stop()
    assert not any(_group_alive(g) for g in groups)
    assert not cluster.nodes and not cluster.temp_dir.exists()
    assert os.environ.get("RAY_AUTH_MODE") == "token"  # connect() turned token auth on


@pytest.mark.built_site
def test_chapter_10_placed_an_env_runner_on_each_node_and_its_job_trained(built_site_html):
    from handson_rl.maintainers.site_execute import cell_output_text, executed_chapter

    html = built_site_html
    chapter = executed_chapter(Path(html), "10_architecture_and_scaling")
    # Two env runners, one CPU each, on two one-CPU nodes: one runner on each node.
    placement = cell_output_text(chapter, "def where_am_i(")
    nodes = sorted(line.split()[-1] for line in placement.strip().splitlines()[1:])
    assert nodes == ["head", "worker"], placement
    assert "status: SUCCEEDED" in cell_output_text(chapter, "follow_job(client"), (
        "the Ray Job did not succeed"
    )
    summary = cell_output_text(chapter, "parse_summary(client.get_job_logs")
    numbers = {
        key: int(value)
        for key, value in re.findall(r"'(iterations|env_steps|num_env_runners)': (\d+)", summary)
    }
    assert (
        numbers["iterations"] >= 1
        and numbers["env_steps"] >= 200
        and numbers["num_env_runners"] == 2
    ), summary
