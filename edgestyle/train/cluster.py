"""Training on several machines: a ``MultiWorkerMirroredStrategy`` that starts, or fails, in bounded time.

TensorFlow's own start of the strategy waits for every task of the cluster with no end: a worker
whose peer never came sat in "Waiting for 1/2 tasks to connect" for 12 minutes, holding the
interpreter (a Python timer never ran) and ignoring SIGTERM. So before it, ``TF_CONFIG`` is
checked and every peer reached (:mod:`edgestyle.train.tf_config`), and TensorFlow's registration
of the tasks gets the same bound (its coordination service's register barrier), in case a peer
vanishes between the two. While training, the workers

* start from the chief's values (:func:`take_chiefs_values`): only the chief reads checkpoints,
  so a resumed run needs no copy of them on the other machines;
* agree once a step on stopping for the time budget (:func:`any_worker`): a worker that stopped
  alone would leave the others waiting in their next all-reduce;
* turn a dead peer (TensorFlow's heartbeats notice in ~10 s) into one line (:func:`lost_worker`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tensorflow as tf

from edgestyle.errors import EdgestyleError
from edgestyle.train.tf_config import JOBS, Cluster, read_tf_config, wait_for_peers

# What an all-reduce raises when another worker is gone (TensorFlow's heartbeats notice in ~10 s).
PEER_ERRORS = (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.DeadlineExceededError)
DEFAULT_TIMEOUT = 300.0  # seconds for every worker to be up: TensorFlow's import and start included


def multi_worker_strategy(timeout: float = DEFAULT_TIMEOUT) -> Any:
    """``MultiWorkerMirroredStrategy`` for ``TF_CONFIG``, started within ``timeout`` s or one error line.

    Without ``TF_CONFIG`` it is the one-worker form (every local device of this machine).
    """
    cluster = read_tf_config()
    if cluster is None or len(cluster.tasks) == 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
    waited = wait_for_peers(cluster, timeout)
    _bound_registration(cluster, max(30.0, timeout - waited))
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except (tf.errors.DeadlineExceededError, tf.errors.UnavailableError) as exc:
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EdgestyleError(
            f"TensorFlow could not start the cluster as {cluster.describe()} ({cause}): every task "
            "must start within --cluster-timeout of the others"
        ) from None


def _bound_registration(cluster: Cluster, seconds: float) -> None:
    """TensorFlow's coordination service, as the strategy would configure it, but with its task
    registration behind a barrier that times out (its default waits for ever)."""
    try:
        from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2 as pb
        from tensorflow.python.eager import context
    except ImportError:  # another TensorFlow layout: its default (no bound) applies
        return
    ctx = context.context()
    if ctx.coordination_service is not None:
        return
    leader = f"/job:{'chief' if cluster.jobs.get('chief') else 'worker'}/replica:0/task:0"
    ctx.configure_coordination_service(
        service_type="standalone",
        service_leader=leader,
        coordinated_jobs=[
            pb.CoordinatedJob(name=j, num_tasks=len(cluster.jobs[j])) for j in JOBS if j in cluster.jobs
        ],
        cluster_register_timeout_in_ms=int(seconds * 1000),
    )
    config = getattr(ctx, "_coordination_service_config", None)
    if config is not None and hasattr(config, "cluster_register_with_barrier"):
        config.cluster_register_with_barrier = True


def workers_in(strategy: Any) -> int:
    """How many machines train together (1 for the one-machine strategies)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
    return max(1, sum(len(spec.get(job, [])) for job in JOBS))


def any_worker(strategy: Any, flag: bool) -> bool:
    """True on every worker when it is True on any: the same stop decision everywhere."""
    local = strategy.run(lambda: tf.constant(1.0 if flag else 0.0))
    return bool(strategy.reduce(tf.distribute.ReduceOp.SUM, local, axis=None).numpy() > 0)


def take_chiefs_values(strategy: Any, variables: list, chief: bool) -> None:
    """Every worker gets the chief's values of ``variables`` (what it restored from a checkpoint).

    A sum over workers of (value on the chief, zero elsewhere), in float64 so weights and step
    counters pass exactly; the other workers need no copy of the checkpoint files.
    """
    mask = tf.constant(1.0 if chief else 0.0, tf.float64)

    @tf.function
    def gather():
        def replica():
            context = tf.distribute.get_replica_context()
            return context.all_reduce(
                tf.distribute.ReduceOp.SUM, [tf.cast(v, tf.float64) * mask for v in variables]
            )

        return strategy.run(replica)

    values = strategy.experimental_local_results(gather())[0]
    for variable, value in zip(variables, values, strict=True):
        variable.assign(tf.cast(value, variable.dtype))


def lost_worker(exc: BaseException, saved_step: int, checkpoints: Path) -> EdgestyleError:
    """One line for a cluster that lost a worker mid-run: who, and where to resume from."""
    cluster = read_tf_config()
    addresses = {(job, i): a for job, i, a in cluster.tasks} if cluster else {}
    tasks = dict.fromkeys(re.findall(r"/job:(\w+)/(?:replica:\d+/)?task:(\d+)", str(exc)))
    mine = (cluster.task_type, str(cluster.task_index)) if cluster else None
    gone = [f"{job} {i} ({addresses.get((job, int(i)), '?')})" for job, i in tasks if (job, i) != mine]
    who = ", ".join(gone) or "another worker"
    why = _why_lost(str(exc))
    return EdgestyleError(
        f"the cluster lost {who} ({why}); the last checkpoint is step {saved_step} in {checkpoints} "
        "(on the chief): start every task again to resume from it"
    )


def _why_lost(text: str) -> str:
    """What TensorFlow's abort message says happened to the peer, in a few words."""
    for needle, why in (
        ("heartbeat", "it stopped sending heartbeats"),
        ("Socket closed", "its connection closed"),
        ("Connection reset", "its connection was reset"),
        ("onnection refused", "it refused connections"),
        ("Deadline", "it did not answer in time"),
    ):
        if needle in text:
            return why
    skip = ("Graph execution error", "Detected at node")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith(skip)]
    return lines[0][:160] if lines else "no reason given"
