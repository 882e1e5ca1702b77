"""Latency and FPS of any .tflite or .onnx, per delegate and thread count, side by side in one run.

Inputs are filled generically from each tensor's dtype (float, uint8, int8), so a peer model
without our contract is timed exactly like ours. Models of one (delegate, threads) setting are
timed round-robin, one invocation each in turn, and the ratio to the first model is the median of
the per-round ratios: load from other processes on a shared CPU drifts slowly compared with one
round, so pairing the calls of a round cancels most of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.errors import EdgestyleError


@dataclass
class ModelFacts:
    """What a model costs on paper: file size, and MACs/params when our contract records them."""

    label: str
    path: str
    file_bytes: int
    inputs: str
    outputs: str
    macs_per_frame: int | None = None
    params: int | None = None


@dataclass
class BenchRow:
    """Timing of one model under one delegate and thread count (milliseconds per invocation)."""

    label: str
    delegate: str
    threads: int
    runs: int
    median_ms: float | None = None
    p10_ms: float | None = None
    p90_ms: float | None = None
    min_ms: float | None = None
    fps: float | None = None
    ratio: float | None = None  # median over rounds of (this model's time / first model's time)
    error: str | None = None
    runtime: str = ""  # what ran it: ai-edge-litert, onnxruntime CPUExecutionProvider, ...

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_tensors(tensors: dict[str, Any]) -> str:
    """``frame:uint8[1,384,384,3] state_in_0:int8[...]`` for the table and report."""
    return " ".join(f"{k}:{t.dtype.name}[{','.join(str(d) for d in t.shape)}]" for k, t in tensors.items())


def model_facts(path: str | Path, label: str | None = None) -> ModelFacts:
    """File size, tensor signature and the MACs/params our converter records in the contract."""
    from edgestyle.contract import load_contract
    from edgestyle.runtime.backends import open_model

    path = Path(path)
    model = open_model(path, delegate="cpu", threads=1)
    contract = load_contract(path)
    provenance = contract.provenance if contract else {}
    macs = provenance.get("macs_per_frame")
    if macs is not None and contract is not None and provenance.get("macs_size"):
        # MACs of a conv net scale with the pixel count; the trainer records them at one reference size.
        ref_w, ref_h = provenance["macs_size"]
        width, height = contract.input_size
        macs = round(float(macs) * (width * height) / (ref_w * ref_h))
    params = provenance.get("params")
    return ModelFacts(
        label=label or path.name,
        path=str(path),
        file_bytes=path.stat().st_size,
        inputs=describe_tensors(model.inputs),
        outputs=describe_tensors(model.outputs),
        macs_per_frame=int(macs) if macs is not None else None,
        params=int(params) if params is not None else None,
    )


def random_input(shape: Sequence[int], dtype: np.dtype, rng: np.random.Generator) -> np.ndarray:
    """Data of the tensor's own dtype: the full integer range, or floats in [0, 1]."""
    dtype = np.dtype(dtype)
    shape = [max(1, int(d)) for d in shape]
    if dtype.kind in "iu":
        bounds = np.iinfo(dtype)
        return rng.integers(bounds.min, int(bounds.max) + 1, size=shape, dtype=dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    return rng.random(shape, dtype=np.float32).astype(dtype)


def fill_inputs(model: Any, seed: int = 0) -> None:
    """Set every input of a TFLiteModel to random data of its dtype (timing does not depend on values)."""
    rng = np.random.default_rng(seed)
    for key, info in model.inputs.items():
        model.set(key, random_input(info.shape, info.dtype, rng))


def time_invocations(invokers: Sequence[Callable[[], None]], runs: int, warmup: int) -> list[list[float]]:
    """Seconds per call for each invoker, interleaved round-robin after ``warmup`` untimed calls each."""
    for invoke in invokers:
        for _ in range(warmup):
            invoke()
    times: list[list[float]] = [[] for _ in invokers]
    for _ in range(runs):
        for i, invoke in enumerate(invokers):
            start = time.perf_counter()
            invoke()
            times[i].append(time.perf_counter() - start)
    return times


def summarize(label: str, delegate: str, threads: int, seconds: Sequence[float]) -> BenchRow:
    ms = np.asarray(seconds) * 1000.0
    median = float(np.median(ms))
    return BenchRow(
        label=label,
        delegate=delegate,
        threads=threads,
        runs=len(ms),
        median_ms=median,
        p10_ms=float(np.percentile(ms, 10)),
        p90_ms=float(np.percentile(ms, 90)),
        min_ms=float(ms.min()),
        fps=1000.0 / median if median > 0 else None,
    )


def bench_setting(
    paths: Sequence[Path], labels: Sequence[str], delegate: str, threads: int, runs: int, warmup: int
) -> list[BenchRow]:
    """Rows for every model under one (delegate, threads); a model that cannot load gets an error row."""
    from edgestyle.runtime.backends import open_model

    loaded, failed = [], {}
    for path, label in zip(paths, labels, strict=True):
        try:
            model = open_model(path, delegate=delegate, threads=threads)
        except EdgestyleError as exc:
            if not loaded and not failed:
                # The first model (the ratio baseline) failed: usually the delegate itself is missing,
                # so don't try (and fail) again for every other model.
                return [BenchRow(name, delegate, threads, 0, error=str(exc)) for name in labels]
            failed[label] = str(exc)
            continue
        fill_inputs(model)
        loaded.append((label, model))
    times = time_invocations([m.invoke for _, m in loaded], runs, warmup)
    timed = {
        label: summarize(label, delegate, threads, t) for (label, _), t in zip(loaded, times, strict=True)
    }
    for label, model in loaded:
        timed[label].runtime = model.backend
    rows = [
        timed.get(label) or BenchRow(label, delegate, threads, 0, error=failed[label]) for label in labels
    ]
    if loaded and loaded[0][0] == labels[0]:
        baseline = np.asarray(times[0])
        for (label, _), seconds in zip(loaded, times, strict=True):
            timed[label].ratio = paired_ratio(seconds, baseline)
    return rows


def paired_ratio(seconds: Sequence[float], baseline: Sequence[float]) -> float:
    """Median of round-by-round ratios: robust to load that changes between rounds."""
    return float(np.median(np.asarray(seconds) / np.maximum(np.asarray(baseline), 1e-12)))


def run_bench(
    paths: Sequence[str | Path],
    delegates: Sequence[str] = ("xnnpack",),
    threads: Sequence[int] = (1,),
    runs: int = 20,
    warmup: int = 3,
    labels: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[ModelFacts], list[BenchRow]]:
    """Facts for every model, and one row per (delegate, threads, model); ratios to the first model."""
    from edgestyle.limits import check_number, check_threads

    check_number(runs, "--runs", 1, 100_000)
    check_number(warmup, "--warmup", 0, 10_000)
    if not threads:
        raise EdgestyleError("--threads must be positive integers, e.g. 1,2,4")
    for count in threads:
        check_threads(count)
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.is_file():
            raise EdgestyleError(f"model file not found: {path}")
    labels = list(labels) if labels else unique_labels(paths)
    facts = [model_facts(p, label) for p, label in zip(paths, labels, strict=True)]
    rows: list[BenchRow] = []
    for delegate in delegates:
        for count in threads:
            if progress:
                progress(f"{delegate}, {count} thread(s)")
            rows.extend(bench_setting(paths, labels, delegate, count, runs, warmup))
    if all(r.error for r in rows):
        raise EdgestyleError(f"no model could be timed: {rows[0].error}")
    return facts, rows


def unique_labels(paths: Sequence[Path]) -> list[str]:
    """File names, with the parent folder prepended where two names collide."""
    names = [p.name for p in paths]
    return [f"{p.parent.name}/{p.name}" if names.count(p.name) > 1 else p.name for p in paths]
