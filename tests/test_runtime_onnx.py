"""The onnxruntime backend: provider choice (TensorRT, CUDA, CPU), the committed tiny ONNX model run
recurrently against its float .tflite, the contract from metadata_props, run/bench/doctor with .onnx.

No GPU here: provider selection is checked as a pure function on provider lists a Jetson or a
desktop GPU build reports, and end to end with onnxruntime's real CPU provider while
``get_available_providers`` claims TensorRT and CUDA too (onnxruntime then warns and runs on CPU).
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.backends import backend_for, open_model
from edgestyle.runtime.backends.onnx import CPU, CUDA, TENSORRT, OnnxModel, choose_providers

DATA = Path(__file__).parent / "data"
ONNX_MODEL, FLOAT_TFLITE = DATA / "tiny_stateful_fp32.onnx", DATA / "tiny_stateful_fp32.tflite"
JETSON = [TENSORRT, CUDA, CPU]  # what onnxruntime-gpu for JetPack reports


def test_providers_best_first_with_the_engine_cache(tmp_path):
    trt, *rest = choose_providers(JETSON, "auto", tmp_path / "trt")
    assert trt == (
        TENSORRT,
        {
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": str(tmp_path / "trt"),
            "trt_fp16_enable": True,
        },
    )
    assert rest == [CUDA, CPU]
    assert choose_providers(JETSON, "xnnpack", tmp_path)[1:] == [CUDA, CPU]  # the CLI default means auto
    assert choose_providers([CUDA, CPU], "auto") == [CUDA, CPU]  # desktop onnxruntime-gpu without TensorRT
    assert choose_providers(["AzureExecutionProvider", CPU], "auto") == [CPU]  # pip's CPU wheel
    assert choose_providers(JETSON, "cpu") == [CPU] and choose_providers(JETSON, "cuda") == [CUDA, CPU]


def test_asking_for_a_gpu_provider_this_build_lacks_is_one_line(tmp_path):
    with pytest.raises(EdgestyleError, match="no TensorrtExecutionProvider .* install onnxruntime-gpu"):
        choose_providers([CPU], "tensorrt")
    with pytest.raises(EdgestyleError, match="use auto, cpu, cuda or tensorrt"):
        choose_providers(JETSON, "edgetpu")


def test_engine_cache_defaults_to_the_user_cache_folder(monkeypatch, tmp_path):
    from edgestyle.runtime.backends import onnx

    monkeypatch.delenv("EDGESTYLE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert choose_providers(JETSON)[0][1]["trt_engine_cache_path"] == str(tmp_path / "xdg/edgestyle/tensorrt")
    monkeypatch.setenv("EDGESTYLE_CACHE", str(tmp_path / "mine"))
    assert onnx.cache_dir() == tmp_path / "mine"


ort = pytest.importorskip("onnxruntime")


def test_a_jetson_provider_list_runs_on_the_real_cpu_provider(monkeypatch, tmp_path):
    monkeypatch.setenv("EDGESTYLE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(ort, "get_available_providers", lambda: JETSON)
    asked = []
    real_session = ort.InferenceSession

    def session(path, sess_options=None, providers=None):
        asked.append(providers)
        return real_session(path, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(ort, "InferenceSession", session)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # onnxruntime: "TensorRT/CUDA not available"
        model = OnnxModel(ONNX_MODEL)
    assert [p if isinstance(p, str) else p[0] for p in asked[0]] == JETSON
    assert (tmp_path / "cache" / "tensorrt").is_dir()  # made before TensorRT would build an engine
    assert model.providers == [CPU] and model.backend == "onnxruntime CPUExecutionProvider"


def test_onnx_matches_its_float_tflite_over_30_recurrent_frames_and_carries_state():
    from edgestyle.evaluation.scoring import fidelity
    from edgestyle.runtime.stylizer import Stylizer
    from edgestyle.synthetic import moving_scene

    frames = [f[:, :, ::-1].copy() for f in moving_scene(30, 64, 48)]
    onnx_run = Stylizer(ONNX_MODEL, scene_cut_threshold=None, style="b")
    tflite_run = Stylizer(FLOAT_TFLITE, scene_cut_threshold=None, style="b")
    assert backend_for(ONNX_MODEL) is OnnxModel and onnx_run.stateful and onnx_run.style_names == ["a", "b"]
    ours, theirs = [onnx_run.step(f) for f in frames], [tflite_run.step(f) for f in frames]
    assert fidelity(ours, theirs)["psnr"] >= 40.0
    fresh = Stylizer(ONNX_MODEL, scene_cut_threshold=None, style="b")
    assert not np.array_equal(fresh.step(frames[-1]), ours[-1])  # frame 30 depends on the 29 before it


def test_the_contract_comes_from_metadata_props_without_the_sidecar(tmp_path):
    lone = tmp_path / "lone.onnx"
    shutil.copy(ONNX_MODEL, lone)
    model = open_model(lone)
    assert model.embedded_contract() is not None
    from edgestyle.runtime.stylizer import load_model_contract

    contract = load_model_contract(model)
    assert contract.target == "onnx" and not contract.inferred and contract.states[0].input == "state_in_0"


def test_run_bench_and_doctor_take_onnx(tmp_path):
    runner = CliRunner()
    ran = runner.invoke(
        app, ["run", "test://?size=80x60&fps=0", "-m", str(ONNX_MODEL), "-o", "null", "--frames", "8"]
    )
    assert ran.exit_code == 0, ran.output
    bench = runner.invoke(
        app, ["bench", str(FLOAT_TFLITE), str(ONNX_MODEL), "--runs", "3", "--json", str(tmp_path / "b.json")]
    )
    assert bench.exit_code == 0, bench.output
    assert "tiny_stateful_fp32.onnx" in bench.output
    doctor = runner.invoke(app, ["doctor", "--json"])
    import json

    checks = {(c["section"], c["name"]): c for c in json.loads(doctor.output)["checks"]}
    assert checks[("onnx", CPU)]["ok"] is True and ("onnx", TENSORRT) in checks
