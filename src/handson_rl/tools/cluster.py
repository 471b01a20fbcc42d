"""Start and stop a real multi-node Ray cluster on this machine, on loopback only.

Chapter 10 runs the course's training on a Ray cluster instead of a one-process
``ray.init()``. A laptop has one machine, but a Ray *node* is just a set of
processes (a raylet, an object store, worker processes; the head node adds the
GCS, the cluster's directory, and the dashboard), so several nodes can run side
by side on it. Each node here is one ``ray start ... --block`` process, exactly the
command you would type on each machine of a real cluster::

    # head (machine 1)
    ray start --head --node-ip-address=127.0.0.2 --port=P --num-cpus=1 \\
        --dashboard-host=127.0.0.1 --dashboard-port=D
    # worker (machine 2)
    ray start --address=127.0.0.2:P --node-ip-address=127.0.0.2 --num-cpus=1

(On two real machines each node gives its own network address instead.)

What this module adds for a shared machine:

- **Loopback only.** Every node advertises ``127.0.0.2`` (see :data:`NODE_IP`;
  without ``--node-ip-address`` Ray binds the machine's network address), and the
  dashboard listens on ``127.0.0.1``.
- **Free ports chosen at run time**, so the cluster does not clash with other Ray
  instances on the machine (Ray's fixed defaults, e.g. 6379, 8265, 10001, 52365,
  are taken by the first one).
- **Token authentication on** (``RAY_AUTH_MODE=token``): every node, driver and
  CLI call must present the token in ``~/.ray/auth_token``. An open Ray port
  otherwise lets anyone who can reach it run any code on the cluster. ``ray
  start`` never creates that token (with ``RAY_AUTH_MODE`` unset it turns
  authentication on only if the file exists; with ``token`` and no file it
  refuses to start), so :func:`ensure_auth_token` runs ``ray get-auth-token
  --generate`` first, which writes one if there is none.
- **Stopping only this cluster.** ``ray stop`` kills *every* Ray process of the
  user on the machine. Here each node runs in its own process group (``--block``
  keeps the ``ray start`` process alive as the group's leader, and Ray's own
  processes and workers stay in the group), so :meth:`LocalCluster.stop` signals
  exactly those groups and nothing else.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
#: The address the nodes advertise. Ray replaces exactly "127.0.0.1"/"localhost"
#: given as --node-ip-address by the machine's network address (so that other
#: machines could reach the node); any other address of the loopback range
#: 127.0.0.0/8 it keeps, and traffic to it never leaves the machine.
NODE_IP = "127.0.0.2"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _ray_executable() -> str:
    """The ``ray`` CLI of the running Python (the venv's, not some other install)."""
    candidate = Path(sys.executable).with_name("ray")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("ray")
    if found is None:
        raise FileNotFoundError(
            "Cannot find the `ray` command next to this Python or on PATH; install "
            "the course's packages (`bash course.sh setup`)."
        )
    return found


def ray_command() -> str:
    """Path of the ``ray`` command-line tool that belongs to this Python."""
    return _ray_executable()


def auth_env(base: dict | None = None) -> dict:
    """Environment for a node, driver or CLI call of a token-authenticated cluster."""
    env = dict(os.environ if base is None else base)
    env["RAY_AUTH_MODE"] = "token"
    return env


def ensure_auth_token(env: dict | None = None, timeout: float = 120.0) -> None:
    """Make sure a token exists for token authentication: ``ray get-auth-token --generate``.

    The command writes a new random token to ``~/.ray/auth_token`` if no token is
    found (``RAY_AUTH_TOKEN``, the file ``RAY_AUTH_TOKEN_PATH`` names, or that
    default file), and leaves an existing one alone. It prints the token; here its
    output is discarded, so the secret does not end up in a notebook.
    """
    env = dict(os.environ if env is None else env)
    if env.get("RAY_AUTH_TOKEN"):
        return
    done = subprocess.run(
        [_ray_executable(), "get-auth-token", "--generate"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"`ray get-auth-token --generate` failed (exit code {done.returncode}): "
            f"{done.stderr.strip()[-2000:]}"
        )


def _port_open(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class Node:
    """One ``ray start --block`` process (the leader of its own process group)."""

    role: str
    process: subprocess.Popen
    log_path: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class LocalCluster:
    """A head node and worker nodes started by :func:`start_local_cluster`.

    ``address`` is what ``ray.init(address=...)`` and ``ray status --address`` take;
    ``dashboard_url`` is what the Jobs SDK (``JobSubmissionClient``) and
    ``ray job submit --address`` take (``None`` without a dashboard).
    """

    address: str
    dashboard_url: str | None
    temp_dir: Path
    nodes: list[Node] = field(default_factory=list)
    _owns_temp_dir: bool = False

    @property
    def session_logs(self) -> Path:
        """The head node's log folder (``<temp_dir>/session_latest/logs``)."""
        return self.temp_dir / "session_latest" / "logs"

    def env(self) -> dict:
        """Environment variables for a CLI call against this cluster."""
        env = auth_env()
        env["RAY_ADDRESS"] = self.address
        return env

    def stop(self, timeout: float = 10.0) -> None:
        """Stop this cluster's nodes (workers first, then the head), nothing else.

        SIGTERM to each node's process group, which Ray treats as a graceful stop;
        SIGKILL for whatever is still there after ``timeout`` seconds.
        """
        for node in reversed(self.nodes):
            _stop_node(node, timeout / max(len(self.nodes), 1))
        self.nodes.clear()
        atexit.unregister(self.stop)
        if self._owns_temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _stop_node(node: Node, timeout: float) -> None:
    """SIGTERM the node's process group, SIGKILL what is left after ``timeout`` s."""
    _signal_group(node.process, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while node.alive and time.monotonic() < deadline:
        time.sleep(0.1)
    _signal_group(node.process, signal.SIGKILL)
    try:
        node.process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL'ed
        pass
    # Ray's processes and workers share the group: wait until none is left.
    deadline = time.monotonic() + 10
    while _group_alive(node.process.pid) and time.monotonic() < deadline:
        _signal_group(node.process, signal.SIGKILL)
        time.sleep(0.2)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # the node was started as a group leader
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    """Whether any process of process group ``pgid`` still exists (portable: Linux and macOS)."""
    try:
        os.killpg(pgid, 0)  # signal 0: only checks that the group has a member
    except ProcessLookupError:
        return False
    except PermissionError:  # a member exists but belongs to someone else
        return True
    return True


def _agent_ports() -> list[str]:
    """A free port for the node's dashboard agent (Ray's fixed default, 52365, is
    taken by the first Ray instance on the machine). The agents' other ports stay
    at 0: each agent picks one and tells the raylet through a file."""
    return [f"--dashboard-agent-listen-port={free_port()}"]


def _start_node(role: str, args: list[str], log_path: Path) -> Node:
    log = open(log_path, "wb")
    try:
        process = subprocess.Popen(
            [_ray_executable(), "start", "--block", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=auth_env(),
            start_new_session=True,  # own process group: stop() signals only it
        )
    finally:
        log.close()
    return Node(role, process, log_path)


def _wait_started(node: Node, deadline: float) -> None:
    """Wait for ``ray start --block`` to report the node as started."""
    while time.monotonic() < deadline:
        if not node.alive:
            raise RuntimeError(
                f"The {node.role} node exited during start-up (code "
                f"{node.process.returncode}). Its output:\n{node.log_tail()}"
            )
        text = node.log_path.read_text(errors="replace")
        if "Ray runtime started" in text:
            return
        time.sleep(0.2)
    raise TimeoutError(
        f"The {node.role} node did not start in time. Its output:\n{node.log_tail()}"
    )


def _start_with_retries(role, make_args, log_path: Path, deadline: float, attempts: int) -> Node:
    """Start a node; if it fails during start-up, stop what is left of it and retry."""
    for attempt in range(1, attempts + 1):
        node = _start_node(role, make_args(), log_path)
        try:
            _wait_started(node, deadline)
            return node
        except RuntimeError:
            _stop_node(node, timeout=10)
            if attempt == attempts or time.monotonic() > deadline:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _start_nodes(
    cluster: LocalCluster,
    num_nodes: int,
    common: list[str],
    dashboard_port: int,
    deadline: float,
    attempts: int,
) -> None:
    """Start the head, then the workers, then wait for the dashboard (if asked for)."""
    root = cluster.temp_dir
    dashboard = cluster.dashboard_url is not None
    gcs_port = int(cluster.address.rsplit(":", 1)[1])
    head_args = [
        "--head",
        f"--port={gcs_port}",
        f"--ray-client-server-port={free_port()}",
        f"--include-dashboard={'true' if dashboard else 'false'}",
        *common,
        *_agent_ports(),
    ]
    if dashboard:
        head_args += [f"--dashboard-host={LOOPBACK}", f"--dashboard-port={dashboard_port}"]
    cluster.nodes.append(
        _start_with_retries("head", lambda: head_args, root / "head.log", deadline, attempts)
    )
    for i in range(1, num_nodes):
        cluster.nodes.append(
            _start_with_retries(
                f"worker {i}",
                lambda: [f"--address={cluster.address}", *common, *_agent_ports()],
                root / f"worker{i}.log",
                deadline,
                attempts,
            )
        )
    while dashboard and not _port_open(dashboard_port):
        if time.monotonic() > deadline:
            raise TimeoutError("The dashboard did not come up in time.")
        time.sleep(0.2)


def start_local_cluster(
    num_nodes: int = 2,
    cpus_per_node: int = 1,
    *,
    dashboard: bool = True,
    temp_dir: str | os.PathLike | None = None,
    timeout: float = 300.0,
    attempts: int = 3,
) -> LocalCluster:
    """Start a head node and ``num_nodes - 1`` worker nodes on loopback (:data:`NODE_IP`).

    Each node gets ``cpus_per_node`` logical CPUs. With ``dashboard=True`` the head
    also serves the dashboard (on loopback), which Ray Jobs and ``ray list`` need.
    ``temp_dir`` is where the nodes keep their sessions and logs (default: a new
    short folder under /tmp, removed again by :meth:`LocalCluster.stop`). A node
    that fails to start (Ray gives a node's agents 15 s to come up, which a busy
    laptop can miss) is tried again, up to ``attempts`` times. Use it as
    a context manager, or call ``stop()``::

        with start_local_cluster() as cluster:
            ray.init(address=cluster.address)
            ...
            ray.shutdown()
    """
    if num_nodes < 1:
        raise ValueError(f"num_nodes must be at least 1 (the head), got {num_nodes}.")
    if cpus_per_node < 1:
        raise ValueError(f"cpus_per_node must be at least 1, got {cpus_per_node}.")
    # `ray start` only uses a token; it does not make one.
    ensure_auth_token()
    owns = temp_dir is None
    # Unix socket paths are limited to ~107 characters: keep the folder short.
    root = Path(tempfile.mkdtemp(prefix="rc_", dir="/tmp") if owns else temp_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    gcs_port = free_port()
    dashboard_port = free_port()
    cluster = LocalCluster(
        address=f"{NODE_IP}:{gcs_port}",
        dashboard_url=f"http://{LOOPBACK}:{dashboard_port}" if dashboard else None,
        temp_dir=root,
        _owns_temp_dir=owns,
    )
    common = [
        f"--node-ip-address={NODE_IP}",
        f"--num-cpus={cpus_per_node}",
        "--num-gpus=0",
        f"--temp-dir={root}",
        "--disable-usage-stats",
    ]
    deadline = time.monotonic() + timeout
    try:
        _start_nodes(cluster, num_nodes, common, dashboard_port, deadline, attempts)
    except BaseException:
        cluster.stop()
        raise
    # Should the program (or notebook kernel) end without stop(), stop it then.
    atexit.register(cluster.stop)
    return cluster


def wait_for_nodes(count: int, timeout: float = 60.0) -> list[dict]:
    """After ``ray.init(address=...)``: wait until ``count`` nodes are alive; return them."""
    import ray

    deadline = time.monotonic() + timeout
    while True:
        alive = [n for n in ray.nodes() if n["Alive"]]
        if len(alive) >= count:
            return alive
        if time.monotonic() > deadline:
            raise TimeoutError(f"Only {len(alive)} of {count} nodes joined the cluster in time.")
        time.sleep(0.5)


def follow_job(client, job_id: str, timeout: float = 600.0, out=None, poll: float = 1.0) -> str:
    """Print a Ray Job's new log lines as they come, until it ends; return its status.

    ``client`` is a ``ray.job_submission.JobSubmissionClient``. (Its
    ``tail_job_logs`` does the same with ``async for``; polling works in any
    Python, a script or a notebook cell.)
    """
    from ray.job_submission import JobStatus

    out = out or sys.stdout
    shown = 0
    deadline = time.monotonic() + timeout
    while True:
        status = client.get_job_status(job_id)
        logs = client.get_job_logs(job_id)
        if len(logs) > shown:
            out.write(logs[shown:])
            out.flush()
            shown = len(logs)
        if status in {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED}:
            return str(status)
        if time.monotonic() > deadline:
            client.stop_job(job_id)
            raise TimeoutError(f"Job {job_id} did not finish in {timeout:.0f} s; stopped it.")
        time.sleep(poll)
