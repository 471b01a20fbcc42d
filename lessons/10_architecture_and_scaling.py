# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 10. Architecture and scaling
#
# **Goal of this chapter:** see what happens inside one `algo.train()` call, know
# which config setting acts on which part, measure how throughput changes with
# the number of env runners and envs per runner on *this* machine, then run the
# same training on a real multi-node Ray cluster: first from this notebook, then
# as a Ray Job, the way you would run it on a cloud cluster.
#
# Time: about 25 minutes, of which about 2 minutes are measurements, training and
# starting the cluster.

# %% [markdown]
# ## One training iteration, step by step
#
# RLlib's new API stack splits an algorithm into a few kinds of parts, each of
# which can live in its own process (a Ray *actor*), on any machine of a cluster:
#
# - **EnvRunners** play the game. Each holds one or more copies of the env and an
#   inference-only copy of every RLModule (the policy networks). Between the env
#   and the module sit **connectors**: the *env-to-module* pipeline turns raw
#   observations into a batch the network can read (our one-hot encoding is one
#   of its pieces), the *module-to-env* pipeline turns the network's output into
#   actions (sampling from the action distribution).
# - The **LearnerGroup** holds one or more **Learners**; each has the trainable
#   copy of the modules and the optimizer. Its *learner connector* pipeline turns
#   episodes into a training batch (for PPO it also computes advantages).
# - The **Algorithm** (in this notebook's process) drives them: one `train()`
#   call is one iteration.
#
# ```mermaid
# sequenceDiagram
#     participant A as Algorithm (driver)
#     participant E as EnvRunners (num_env_runners, each with num_envs_per_env_runner envs)
#     participant L as LearnerGroup (num_learners)
#     A->>E: sample() until train_batch_size env steps
#     Note over E: env-to-module connectors, RLModule forward pass,<br/>module-to-env connectors, env.step(), repeat
#     E-->>A: episodes (+ metrics)
#     A->>L: update(episodes)
#     Note over L: learner connectors (one-hot, advantages),<br/>num_epochs x minibatches of SGD on each module
#     L-->>A: learner results (losses, ...)
#     A->>E: sync weights (new module state to every EnvRunner)
#     A-->>A: result dict: env_runners, learners, timers, fault_tolerance
# ```
#
# With `num_env_runners=0` the Algorithm samples with its own, local EnvRunner;
# with `num_learners=0` (the default) the Learner also lives in the driver
# process. That is what this course has done so far, apart from the sampling.

# %% tags=["concept"]
from handson_rl.exercises.concepts import ask

ask("ch10-sgd-steps")

# %% tags=["concept"]
ask("ch10-third-runner")

# %% [markdown]
# ## Where each setting acts
#
# | setting | method | acts on | what it changes |
# |---|---|---|---|
# | `num_env_runners` | `.env_runners()` | EnvRunner actors | how many sampling processes (0: sample in the driver) |
# | `num_envs_per_env_runner` | `.env_runners()` | each EnvRunner | boards stepped at once: one batched forward pass picks actions for all |
# | `num_cpus_per_env_runner`, `num_gpus_per_env_runner` | `.env_runners()` | Ray's scheduler | resources reserved for each EnvRunner actor |
# | `num_learners` | `.learners()` | LearnerGroup | Learner actors (0: learn in the driver); more than 1 share each iteration's batch, `train_batch_size_per_learner` env steps each (data-parallel) |
# | `num_cpus_per_learner`, `num_gpus_per_learner` | `.learners()` | Ray's scheduler | resources of each Learner; a GPU here is where a GPU helps most |
# | `train_batch_size_per_learner` | `.training()` | sampling and learning | env steps collected per iteration, per Learner |
# | `minibatch_size`, `num_epochs` | `.training()` | each Learner | SGD steps per iteration: `num_epochs x batch / minibatch` |
#
# Ray only starts an actor when the resources it asks for are free. With
# `ray.init(num_cpus=2)` two EnvRunners (one CPU each) take everything: a third
# remote actor, such as an evaluation EnvRunner, would wait forever.

# %% [markdown]
# ## Measuring throughput on this machine
#
# How many env steps per second does training get through, and how long does an
# iteration take, as we add env runners (processes) and envs per runner
# (vectorisation)? `handson_rl.tools.scaling.measure_grid` builds the course's PPO for
# each combination, trains a couple of iterations with a small batch and keeps the
# figures of the last ones (the first also pays start-up costs). Building an
# algorithm with remote env runners takes several seconds, so the grid is kept
# small.

# %%
import ray

from handson_rl.budget import pick, seed
from handson_rl.training.quiet import quiet_ray

SEED = seed()  # the course's seed: 0 unless COURSE_SEED is set

quiet_ray()
ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)

# %%
import os

from handson_rl.tools.scaling import measure_grid

os.makedirs("outputs", exist_ok=True)
RUNNERS = pick(full=(0, 1, 2), smoke=(0, 1))
ENVS = pick(full=(1, 5, 10), smoke=(1, 5))
ITERATIONS = pick(full=2, smoke=1)
BATCH = pick(full=1000, smoke=200)


def show_row(row):
    print(
        f"{row['num_env_runners']} runner(s) x {row['envs_per_runner']:>2} envs: "
        f"{row['env_steps_per_s']:6.0f} env steps/s, {row['iteration_s']:5.2f} s/iteration "
        f"(sampling {row['sample_s']:.2f} s, learning {row['learn_s']:.2f} s)"
    )


table = measure_grid(RUNNERS, ENVS, iterations=ITERATIONS, train_batch_size=BATCH, on_row=show_row)

# %% [markdown]
# The same numbers as a table and as a picture:

# %%
table.round(2).set_index(["num_env_runners", "envs_per_runner"])[
    ["env_steps_per_s", "iteration_s", "sample_s", "learn_s"]
]

# %%
from handson_rl.tools.scaling import plot_grid

plot_grid(table, "outputs/10_throughput.png")

rate = table.set_index(["num_env_runners", "envs_per_runner"])["env_steps_per_s"]
few, many = min(ENVS), max(ENVS)
print("fastest row: {} runner(s) x {} envs".format(*rate.idxmax()))
print(
    f"{few} -> {many} envs per runner, with {min(RUNNERS)} runners: "
    f"x{rate[min(RUNNERS), many] / rate[min(RUNNERS), few]:.1f} env steps/s"
)
print(
    f"{min(RUNNERS)} -> {max(RUNNERS)} runners, with {few} env each: "
    f"x{rate[max(RUNNERS), few] / rate[min(RUNNERS), few]:.1f} env steps/s"
)

# %% [markdown]
# ### Why it flattens on 2 cores
#
# Read the table along both directions:
#
# - **More envs per runner** is what pays on a laptop. An EnvRunner's cost per
#   step is mostly fixed overhead: a forward pass of the network, connector calls,
#   episode bookkeeping. Stepping 10 boards at once pays that overhead once for 10
#   moves, while the game itself is almost free (`bench/env_throughput.py` times
#   its raw steps with random actions, without RLlib; its output is in
#   `bench/README.md`).
# - **More env runners** help much less, and can even hurt. Each is a separate
#   process that needs a CPU core, and this machine has only two, shared with the
#   driver (which runs the learner and the Algorithm) and Ray's own processes.
#   One remote runner only moves sampling out of the driver, which waits for it,
#   and adds the cost of sending the episodes back: the rows with 0 and 1 runner
#   should come out about the same, the 1-runner row sometimes slower. Two
#   runners can sample on both cores at once, but the lines under the picture
#   compare the two directions in your run: what did more runners gain, against
#   more boards per runner? The learner does not pay for them: PPO samples and
#   learns in turn, so the runners sit idle while the driver learns. Look at the
#   learning column: about the same in every row. More runners sample faster
#   only with more cores, on a bigger machine or a cluster; two cores cannot
#   show that.
# - **Sampling while learning** is the other way to keep the runners busy:
#   APPO and IMPALA (`APPOConfig`, `IMPALAConfig`) sample asynchronously, so the
#   runners go on collecting episodes, with slightly older weights, while the
#   learner updates. Whether that pays on this game and two cores is a
#   measurement: `bench/time_to_target.py` times APPO beside the course's PPO to
#   the same target, and chapter 3's "How fast?" cell prints the course's
#   recorded result (run it yourself for your machine's).
# - **Time per iteration** = sampling + learning (+ sending the new weights to
#   every runner). With a fixed batch size, faster sampling shortens only the
#   first part; once sampling is quick, learning becomes a large share of the
#   iteration and the curve flattens.
#
# These are short, single measurements, so they are noisy: anything else running
# on the machine at the same time (another notebook, a browser tab playing video)
# takes CPU from one cell and shows up as a dip. If a cell looks odd, rerun the
# grid after closing other programs.

# %%
ray.shutdown()

# %% [markdown]
# ## Beyond one machine: a real Ray cluster
#
# `ray.init()` in a notebook starts a one-machine Ray instance that ends with the
# notebook. A **Ray cluster** is long-lived: a **head node** (it runs the GCS, the
# cluster's directory of nodes and actors, and the dashboard) plus **worker
# nodes**, each started with `ray start` on its machine. Programs (*drivers*)
# connect to it with `ray.init(address=...)`, and Ray schedules their actors on
# any node with free resources.
#
# A node is just a set of processes, so we can start two on this one machine.
# These are the commands you would type on two machines, except that on real
# machines each node gives its own network address where we use the loopback
# address `127.0.0.2`:
#
# ```bash
# # on the head machine
# ray start --head --node-ip-address=127.0.0.2 --port=P --num-cpus=1 \
#     --dashboard-host=127.0.0.1 --dashboard-port=D
# # on each worker machine
# ray start --address=127.0.0.2:P --node-ip-address=127.0.0.2 --num-cpus=1
# ```
#
# `handson_rl.tools.cluster.start_local_cluster` runs exactly these (each with
# `--block`, so it can stop them again), with a few precautions for a shared
# laptop:
#
# - **Loopback only.** Every node and the dashboard listen on loopback addresses
#   (`127.0.0.x`), so nothing is reachable from the network. (Ray replaces
#   `127.0.0.1` given as a node address by the machine's network address, on
#   purpose, so that other machines can reach the node; it keeps `127.0.0.2`,
#   which is loopback too.)
# - **Free ports chosen at run time**, so it does not clash with another Ray on
#   the machine (Ray's defaults, like 6379 and 8265, are taken by the first one).
# - **Token authentication stays on.** `ray start` does not create a token.
#   The token is a secret in a file, `~/.ray/auth_token`, and
#   `ray get-auth-token --generate` writes one there if there is none (a local
#   `ray.init()` does the same, which is where this notebook's came from). With
#   `RAY_AUTH_MODE` unset, `ray start --head` turns authentication on only if
#   that file already exists, so on a fresh machine the commands above give a
#   cluster without it; with `RAY_AUTH_MODE=token` and no token, it refuses to
#   start. `start_local_cluster` therefore runs `ray get-auth-token --generate`
#   first and starts every node with `RAY_AUTH_MODE=token`. All its nodes run on
#   this machine and read the same file; every node, driver and command-line call
#   must present the token, or the cluster answers "Authentication token is
#   missing or incorrect". Ray runs whatever code a connected driver sends it, so
#   an open Ray port is an open door to run any program on every node: never turn
#   authentication off on a cluster other people can reach.
# - **It stops only what it started.** `ray stop` kills *every* Ray process on the
#   machine, including other notebooks' Ray instances. Each node here runs in its
#   own process group, and `cluster.stop()` ends exactly those groups.

# %%
from handson_rl.tools.cluster import start_local_cluster

cluster = start_local_cluster(num_nodes=2, cpus_per_node=1)
print("GCS address:  ", cluster.address)
print("dashboard:    ", cluster.dashboard_url)
print("logs of head: ", cluster.session_logs)

# %% [markdown]
# Connect this notebook to it as a driver. `handson_rl.training.session.connect` is
# `ray.init(address=...)` with token authentication switched on first. The
# cluster has two nodes with one CPU each:

# %%
import pandas as pd

from handson_rl.tools.cluster import wait_for_nodes
from handson_rl.training.session import connect

connect(cluster.address)
nodes = wait_for_nodes(2)
pd.DataFrame(
    [
        {
            "node id": n["NodeID"][:12],
            "address": n["NodeManagerAddress"],
            "CPUs": n["Resources"].get("CPU"),
            "head": "node:__internal_head__" in n["Resources"],
        }
        for n in nodes
    ]
)

# %% [markdown]
# ### The same training, spread over two nodes
#
# Nothing in the config mentions the cluster: two env runners ask for one CPU
# each, and the only free CPUs are one per node, so Ray places one runner on each
# node. The Learner stays in this notebook's process, the driver.

# %%
from handson_rl.training.config import arena_ppo_config
from handson_rl.training.loop import train

CLUSTER_ITERATIONS = pick(full=5, smoke=1)

algo = arena_ppo_config(num_env_runners=2, num_envs_per_env_runner=8, seed=SEED).build_algo()
cluster_history = train(algo, CLUSTER_ITERATIONS, label="on the cluster")

# %% [markdown]
# Where did the env runners run? `foreach_env_runner` calls a function inside
# every (remote) EnvRunner actor and returns the answers; inside an actor,
# `ray.get_runtime_context()` knows its node:

# %%
head_id = next(n["NodeID"] for n in nodes if "node:__internal_head__" in n["Resources"])


def where_am_i(runner):
    import os

    import ray

    context = ray.get_runtime_context()
    return {
        "env runner": runner.worker_index,
        "node id": context.get_node_id()[:12],
        "process id": os.getpid(),
    }


placement = pd.DataFrame(
    algo.env_runner_group.foreach_env_runner(where_am_i, local_env_runner=False)
)
placement["node"] = ["head" if head_id.startswith(n) else "worker" for n in placement["node id"]]
placement

# %%
algo.stop()
ray.shutdown()  # disconnect this notebook; the cluster keeps running

# %% [markdown]
# ### Task: fill a cluster you are given
#
# Your lab gives you a cluster, and `ray status` lists its nodes: a head node with
# 4 CPUs and two worker nodes with 7 CPUs each. Your env is a simulator that
# needs **2 CPUs** per env runner. Write `fit_cluster(config, nodes,
# cpus_per_runner)`, which returns `config` with as many env runners as Ray can
# place **at once**, each reserving `cpus_per_runner` CPUs. `nodes` maps each
# node's name to its CPUs, e.g. `{"head": 4, "worker1": 7, "worker2": 7}`; the
# head node is always the one named `"head"`, wherever it stands in the dict. Two
# things to keep in mind:
#
# - Ray places an actor on **one** node: CPUs left over on two nodes do not add
#   up to a place for a runner.
# - The driver (this notebook's process, with the Learner in it:
#   `num_learners=0`) runs on the head node, and Ray reserves no CPU for it:
#   leave one CPU of the head free for it.
#
# Compute the count from `nodes` and `cpus_per_runner` (the check tries other
# clusters too). It builds nothing: it reads what your config asks Ray for with
# `remote_cpus` from `handson_rl.training.cpus`, the check the course's config
# runs before every build.


# %% tags=["needs-solution"]
def fit_cluster(config, nodes, cpus_per_runner):
    # BEGIN SOLUTION: Task: count the env runners that fit on each node (one head CPU kept for the driver), then return config.env_runners(num_env_runners=..., num_cpus_per_env_runner=...)
    runners = sum(
        (cpus - 1 if name == "head" else cpus) // cpus_per_runner for name, cpus in nodes.items()
    )
    return config.env_runners(num_env_runners=runners, num_cpus_per_env_runner=cpus_per_runner)
    # END SOLUTION


# %% tags=["check"]
from handson_rl.exercises.tasks.ch10_fit import check_fit_cluster

check_fit_cluster(fit_cluster)

# %% [markdown]
# ### Submitting the training as a Ray Job
#
# A notebook is a fine driver for exploring, but a long training run should not
# depend on your laptop staying awake. A **Ray Job** runs a driver program *on the
# cluster*: you submit a shell command (the *entrypoint*), the head node runs it,
# keeps its logs and its status, and you can disconnect and come back for the
# result.
#
# The course's training is already a program: `handson-rl-train` (module
# `handson_rl.tools.cli`, see `handson-rl-train --help`). It prints one line per
# iteration and a final JSON summary line. Inside a job, Ray sets `RAY_ADDRESS`,
# so the script connects to the cluster it runs on.
#
# Jobs are submitted to the dashboard's address, with the Jobs SDK from Python or
# from a terminal:
#
# ```bash
# RAY_AUTH_MODE=token ray job submit --address http://127.0.0.1:D -- \
#     python -m handson_rl.tools.cli --max-iterations 5
# ```
#
# Here the cluster runs on this machine, so the job can use this very Python
# (`sys.executable`) and the course package installed in it. On a real cluster,
# the package must be installed on the nodes (in their image), or shipped with the
# job via a *runtime environment*: `runtime_env={"py_modules": ["src/handson_rl"]}`
# (the recipe "On a cloud cluster" below uses, with the reason).

# %%
import sys

from ray.job_submission import JobSubmissionClient

JOB_ITERATIONS = pick(full=5, smoke=1)
JOB_BATCH = pick(full=2000, smoke=200)

client = JobSubmissionClient(cluster.dashboard_url)
job_id = client.submit_job(
    entrypoint=(
        f"{sys.executable} -m handson_rl.tools.cli --max-iterations {JOB_ITERATIONS} "
        f"--num-env-runners 2 --num-envs-per-env-runner 8 --train-batch-size {JOB_BATCH}"
    ),
)
print("submitted", job_id)

# %% [markdown]
# Follow its logs until it ends (`follow_job` polls `client.get_job_logs`; the SDK's
# `client.tail_job_logs(job_id)` streams them with `async for`, and
# `ray job logs --follow` does it from a terminal):

# %%
from handson_rl.tools.cluster import follow_job

status = follow_job(client, job_id, timeout=900)
print("status:", status)

# %% [markdown]
# The job's result is whatever it printed: the last line is the JSON summary, which
# `parse_summary` reads back.

# %%
from handson_rl.tools.cli import parse_summary

job_summary = parse_summary(client.get_job_logs(job_id))
job_summary

# %% [markdown]
# ### Looking at the cluster: `ray status` and the dashboard
#
# `ray status` shows the nodes and how much of their resources is in use. Like
# every call to this cluster, it needs the token (`cluster.env()` sets
# `RAY_AUTH_MODE=token` and `RAY_ADDRESS`):

# %%
import subprocess

from handson_rl.tools.cluster import ray_command

print(
    subprocess.run(
        [ray_command(), "status"], env=cluster.env(), capture_output=True, text=True, timeout=120
    ).stdout
)

# %% [markdown]
# The **dashboard** (`cluster.dashboard_url`, on loopback only) shows the same
# and more in a browser: nodes, actors, jobs with their logs, CPU and memory use.
# On a remote cluster you would reach it through an SSH tunnel
# (`ssh -L 8265:localhost:8265 head-node`), never by opening its port to the
# network.

# %% [markdown]
# ### Shut the cluster down
#
# `cluster.stop()` ends the two nodes' process groups (the head last) and removes
# their temporary folder. Nothing else on the machine is touched.

# %%
cluster.stop()

# %% [markdown]
# ## On a cloud cluster
#
# Only the way the nodes start changes; the driver code, the config and the job
# stay the same.
#
# - **Virtual machines with the cluster launcher.** Describe the head and worker
#   machines in a YAML file (cloud provider, instance types, min/max workers,
#   setup commands such as `pip install` of the course), then:
#
#   ```bash
#   ray up cluster.yaml                   # start (or update) the cluster
#   ray dashboard cluster.yaml            # tunnel the dashboard to localhost:8265
#   RAY_AUTH_MODE=token ray job submit --address http://localhost:8265 \
#       --runtime-env-json '{"py_modules": ["src/handson_rl"]}' \
#       -- python -m handson_rl.tools.cli --max-iterations 100
#   ray down cluster.yaml                 # stop every machine
#   ```
#
#   `py_modules` uploads the course package to every node, importable there as
#   `handson_rl`. Why not `--working-dir .`: it uploads the repository, but the
#   package sits in `src/`, which is not on the cluster's import path, so the
#   job's `import handson_rl` would fail. The nodes still need the course's
#   other packages (Ray, PyTorch, gymnasium, at the course's versions) in their
#   image or setup commands; or install the whole course there
#   (`pip install -e .` in the YAML's setup commands) and pass no runtime env.
#
# - **The token.** Generate it once, on the machine you start the head from:
#   `ray get-auth-token --generate` (it writes `~/.ray/auth_token` and prints the
#   token). Then it must reach every machine that joins or talks to the cluster,
#   before `ray start` runs there: every worker node and the client that submits
#   jobs. Either set `RAY_AUTH_TOKEN` to its value in their environment, or copy
#   the token file (`~/.ray/auth_token`, or wherever `RAY_AUTH_TOKEN_PATH`
#   points) to them; plus `RAY_AUTH_MODE=token` everywhere: `ray start
#   --address=...` on a worker node looks at that variable only (it does not
#   turn authentication on because a token file exists, as the head does), and
#   with it set but no token there, the node refuses to start and says so. Treat
#   the token like a password: it lets its holder run any code on the cluster.
#
# - **Kubernetes with KubeRay.** Install the KubeRay operator once:
#
#   ```bash
#   helm repo add kuberay https://ray-project.github.io/kuberay-helm/
#   helm repo update
#   helm install kuberay-operator kuberay/kuberay-operator
#   ```
#
#   A `RayCluster` resource describes a long-lived cluster (head and worker pod
#   templates, with an image that has the course installed); a `RayJob` resource
#   creates a cluster and runs one entrypoint such as `python -m
#   handson_rl.tools.cli --max-iterations 100` on it. It deletes that cluster
#   afterwards only if its spec says `shutdownAfterJobFinishes: true` (the
#   default is false: the cluster, and its bill, stay up):
#
#   ```bash
#   kubectl apply -f raycluster.yaml      # or rayjob.yaml
#   kubectl get rayclusters,rayjobs
#   kubectl port-forward svc/<cluster>-head-svc 8265:8265
#   ```
#
# On a cluster, set `num_env_runners` to the number of CPUs you want sampling
# (the cluster's CPUs minus a few per machine for Ray and the driver), put the
# Learner on a GPU node
# (`.learners(num_learners=1, num_gpus_per_learner=1)`), and size
# `train_batch_size_per_learner` so that one iteration keeps every runner busy.
# Mind the name: it is *per learner*, so with `num_learners=4` each iteration
# collects four times that many env steps (it is not split between them).
#
# **Ray Tune on several machines** needs one storage place that every node can
# write to: `tune.RunConfig(storage_path="s3://bucket/experiments")` (or a
# shared NFS path). Trials run on any node and write their checkpoints and
# results there. A local path on the head node does not work: Tune writes a
# marker file to the storage path when the experiment starts, and a trial checks
# for it before it saves each checkpoint. On a worker node the head's local
# folder is not there, so the trial fails at its first checkpoint with
# "Unable to set up cluster storage ... A local path on the head node is not
# accessible by worker nodes" (`ray/train/_internal/storage.py`).

# %% [markdown]
# ## Recap
#
# - One iteration: EnvRunners sample (connectors + module + env), the
#   LearnerGroup updates the modules, the new weights are synced back.
# - `num_env_runners` adds processes, `num_envs_per_env_runner` batches boards
#   inside each; on 2 cores the second pays far more, because there are no spare
#   cores for more processes.
# - A Ray cluster is a head node plus worker nodes started with `ray start`; a
#   driver connects with `ray.init(address=...)` and the same config spreads over
#   the nodes.
# - A Ray Job runs a training program on the cluster itself; `handson-rl-train`
#   is such a program.
# - Keep token authentication on and the dashboard on loopback; stop only the
#   nodes you started.
#
# **Try next:** start the cluster with `cpus_per_node=2` and run 4 env runners;
# submit a job with `--stop-return 18` and read how long it took from its summary;
# run `handson-rl-train --help` in a terminal.

# %%
from handson_rl.progress_report import show_progress

show_progress(10)
