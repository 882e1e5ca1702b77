"""What ``TF_CONFIG`` says, checked, and whether every task it names can be reached.

No TensorFlow here: a malformed ``TF_CONFIG`` is one ``error:`` line before TensorFlow's import,
and the rendezvous runs before TensorFlow's own start, which would wait for a missing task for
ever (:mod:`edgestyle.train.cluster`).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from dataclasses import dataclass

from edgestyle.errors import EdgestyleError

JOBS = ("chief", "worker")  # MultiWorkerMirroredStrategy's; no parameter servers, no evaluator


@dataclass(frozen=True)
class Cluster:
    """The cluster ``TF_CONFIG`` describes, and which task this process is."""

    jobs: dict[str, list[str]]  # job -> addresses (host:port), in task order
    task_type: str
    task_index: int

    @property
    def tasks(self) -> list[tuple[str, int, str]]:
        """(job, index, address) of every task, chief first."""
        return [(job, i, a) for job in JOBS for i, a in enumerate(self.jobs.get(job, []))]

    @property
    def address(self) -> str:
        return self.jobs[self.task_type][self.task_index]

    @property
    def peers(self) -> list[tuple[str, int, str]]:
        return [t for t in self.tasks if (t[0], t[1]) != (self.task_type, self.task_index)]

    @property
    def is_chief(self) -> bool:
        """The task that writes: the ``chief`` when there is one, else worker 0."""
        first = "chief" if self.jobs.get("chief") else "worker"
        return (self.task_type, self.task_index) == (first, 0)

    def describe(self) -> str:
        return f"{self.task_type} {self.task_index} of {len(self.tasks)} ({self.address})"


def read_tf_config(text: str | None = None) -> Cluster | None:
    """The cluster in ``TF_CONFIG`` (the environment's when ``text`` is None); None when unset."""
    text = os.environ.get("TF_CONFIG") if text is None else text
    if not text or not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _bad(f"not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cluster"), dict):
        raise _bad('no "cluster" object')
    jobs = {}
    for job, addresses in data["cluster"].items():
        if job not in JOBS:
            raise _bad(f"job {job!r}: edgestyle trains with {' and '.join(JOBS)} tasks only")
        if isinstance(addresses, str):
            addresses = [addresses]
        if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
            raise _bad(f"job {job!r} must be a list of host:port addresses")
        for address in addresses:
            _split_address(address)
        jobs[job] = addresses
    if len(jobs.get("chief", [])) > 1:
        raise _bad("there can be one chief at most")
    everyone = [a for job in JOBS for a in jobs.get(job, [])]
    if not everyone:
        raise _bad("the cluster has no chief and no worker")
    if len(set(everyone)) != len(everyone):
        raise _bad(f"an address appears twice in {everyone}")
    task = data.get("task")
    if not isinstance(task, dict) or task.get("type") not in jobs:
        raise _bad(f'"task" must name this process\'s job, one of {sorted(jobs)}, and its index')
    index = task.get("index", 0)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(jobs[task["type"]]):
        raise _bad(f"task index {index!r} is not one of the {len(jobs[task['type']])} {task['type']} task(s)")
    return Cluster(jobs, task["type"], index)


def _bad(why: str) -> EdgestyleError:
    return EdgestyleError(f"TF_CONFIG: {why}; see docs/training.md, 'Several machines or GPUs'")


def _split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise _bad(f"{address!r} is not host:port")
    return host.strip("[]"), int(port)


def wait_for_peers(cluster: Cluster, timeout: float, poll: float = 0.25) -> float:
    """Hold this worker's port and reach every peer's within ``timeout`` s; the seconds it took.

    The port is only listened on, never accepted from: closing it then leaves nothing behind
    that would keep TensorFlow's server from binding it.
    """
    _, port = _split_address(cluster.address)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        try:
            listener.bind(("", port))
        except OSError as exc:
            why = (
                "is in use by another program"
                if exc.errno == errno.EADDRINUSE
                else f"cannot be bound ({exc})"
            )
            raise EdgestyleError(
                f"TF_CONFIG: port {port} of this task, {cluster.describe()}, {why}"
            ) from None
        listener.listen(64)
        return _knock_until_all_answer(cluster, timeout, poll)
    finally:
        listener.close()


def _knock_until_all_answer(cluster: Cluster, timeout: float, poll: float) -> float:
    start = time.monotonic()
    waiting = {address: "no answer yet" for _, _, address in cluster.peers}
    while waiting:
        for address in list(waiting):
            host, port = _split_address(address)
            try:
                with socket.create_connection((host, port), timeout=min(2.0, max(poll, 0.1))):
                    del waiting[address]
            except OSError as exc:
                waiting[address] = exc.strerror or type(exc).__name__
        elapsed = time.monotonic() - start
        if waiting and elapsed >= timeout:
            names = {a: f"{job} {i}" for job, i, a in cluster.tasks}
            missing = ", ".join(f"{names[a]} at {a} ({why})" for a, why in waiting.items())
            raise EdgestyleError(
                f"{missing} did not answer within {timeout:g} s: start every task of TF_CONFIG "
                "(they wait for each other), check the addresses and firewalls, or raise --cluster-timeout"
            )
        if waiting:
            time.sleep(poll)
    return time.monotonic() - start
