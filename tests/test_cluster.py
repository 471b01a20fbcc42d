"""A real two-node Ray cluster on loopback: placement, a Ray Job, a clean stop.

One cluster for the whole module (starting one costs tens of seconds); the tests
run in file order and the last one stops it. The suite's shared Ray is shut down
for this module (``no_local_ray``): ``connect()`` needs no Ray running in-process.
"""

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from handson_rl.training.cli import parse_summary
from handson_rl.training.cluster import (
    NODE_IP,
    _group_alive,
    follow_job,
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


def test_env_runners_run_on_both_nodes(cluster):
    import ray

    from handson_rl.training.config import arena_ppo_config

    connect(cluster.address)
    algo = arena_ppo_config(
        num_env_runners=2, num_envs_per_env_runner=2, train_batch_size=200,
        minibatch_size=200, num_epochs=1,
    ).build_algo()
    try:
        result = algo.train()
        nodes = algo.env_runner_group.foreach_env_runner(
            lambda runner: ray.get_runtime_context().get_node_id(), local_env_runner=False
        )
    finally:
        algo.stop()
    assert result["env_runners"]["num_env_steps_sampled_lifetime"] >= 200
    assert len(set(nodes)) == 2, nodes
    ray.shutdown()


def test_training_runs_as_a_ray_job(cluster):
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(cluster.dashboard_url)
    job_id = client.submit_job(
        entrypoint=(
            f"{sys.executable} -m handson_rl.training.cli --max-iterations 1 --num-env-runners 2 "
            "--num-envs-per-env-runner 2 --train-batch-size 200"
        ),
    )
    lines = []

    class Collect:
        def write(self, text):
            lines.append(text)

        def flush(self):
            pass

    status = follow_job(client, job_id, timeout=600, out=Collect())
    logs = "".join(lines)
    assert status == "SUCCEEDED", logs[-3000:]
    summary = parse_summary(logs)
    assert summary["iterations"] == 1 and summary["env_steps"] >= 200
    assert summary["num_env_runners"] == 2


def test_stop_ends_exactly_the_cluster_processes(cluster):
    groups = [node.process.pid for node in cluster.nodes]
    assert all(_group_alive(g) for g in groups)
    cluster.stop()
    assert not any(_group_alive(g) for g in groups)
    assert not cluster.nodes and not cluster.temp_dir.exists()
    assert os.environ.get("RAY_AUTH_MODE") == "token"  # connect() turned token auth on
