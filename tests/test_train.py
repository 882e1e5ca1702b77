"""Training end to end on generated data with tiny models: losses fall, resume, mirrored, perceptual, CLI errors."""

# ruff: noqa: E402
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

import cv2
from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.palette import picture_colour
from edgestyle.synthetic import moving_scene
from edgestyle.train.config import TrainConfig, config_from_dict, load_config, set_field
from edgestyle.train.generator import tiny_config, zero_states
from edgestyle.train.model_dir import load_generator_config, load_model_dir
from edgestyle.train.run import train_model
from edgestyle.train.styles import StyleSource


@pytest.fixture(scope="session")
def train_data(tmp_path_factory) -> Path:
    """stills/ (unrelated pictures), sequence/ (consecutive frames) and clip.avi (a short video)."""
    root = tmp_path_factory.mktemp("train_data")
    (root / "stills").mkdir()
    for seed in range(4):
        cv2.imwrite(
            str(root / "stills" / f"photo{seed}.png"),
            moving_scene(frames=1, width=96, height=72, seed=seed)[0],
        )
    (root / "sequence").mkdir()
    for i, frame in enumerate(moving_scene(frames=8, width=96, height=72, seed=10)):
        cv2.imwrite(str(root / "sequence" / f"frame_{i:04d}.png"), frame)
    writer = cv2.VideoWriter(str(root / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (96, 72))
    for frame in moving_scene(frames=6, width=96, height=72, seed=20):
        writer.write(frame)
    writer.release()
    return root


def tiny_train_config(**overrides) -> TrainConfig:
    """A tiny run; ``overrides`` by field name (``model=``, ``max_steps=``: old flat names map too)."""
    config = config_from_dict(
        {
            "model": tiny_config(),
            "data": {"clip_len": 3, "crop": 32, "batch": 4, "max_side": 96},
            "optimizer": {"lr_g": 5e-3},
            "schedule": {"max_steps": 30, "checkpoint_every": 10, "log_every": 5, "image_every": 15},
            "runtime": {"workers": 1},
        }
    )
    for key, value in overrides.items():
        set_field(config, key, value)
    return config


class Killed(Exception):
    """Stands in for the process dying between two steps."""


@pytest.mark.slow
def test_cartoon_distillation_trains_losses_fall_and_a_killed_run_resumes(train_data, tmp_path) -> None:
    out = tmp_path / "model"
    styles = [StyleSource("cartoon", teacher="cartoon"), StyleSource("paint", teacher="stylization")]
    seen: list[dict[str, float]] = []

    def die_at_25(step: int, losses: dict[str, float]) -> None:
        seen.append(losses)
        if step == 25:
            raise Killed

    with pytest.raises(Killed):
        train_model(
            [str(train_data)],
            out,
            styles,
            tiny_train_config(),
            tmp_path / "cache",
            progress=False,
            on_step=die_at_25,
        )
    assert not (out / "edgestyle.json").exists()  # a dead run leaves no model that looks complete
    first = np.mean([s["l1"] for s in seen[:5]])
    last = np.mean([s["l1"] for s in seen[-5:]])
    assert last < 0.8 * first, (first, last)

    summary = train_model(
        [str(train_data)], out, styles, tiny_train_config(), tmp_path / "cache", progress=False
    )
    assert (summary["start_step"], summary["end_step"]) == (
        20,
        30,
    )  # lost only the steps after the checkpoint

    model, meta = load_model_dir(out)
    assert meta["style"]["names"] == ["cartoon", "paint"] and meta["training"]["run"]["end_step"] == 30
    assert meta["training"]["data"]["summary"] == "4 stills, 2 clips (14 frames)"
    assert list((out / "logs").iterdir()), "TensorBoard events were written"
    a, b = (np.array(v, np.float32) for v in meta["style"]["vectors"])
    frame = np.full((1, 32, 32, 3), 0.5, np.float32)
    states = zero_states(load_generator_config(meta), 1, 32, 32)
    outs = [model({"frame": frame, **states, "style": v[None]})["stylized"].numpy() for v in (a, b)]
    assert np.abs(outs[0] - outs[1]).mean() > 1e-3  # the two styles differ

    other = [StyleSource("cartoon", teacher="cartoon")]
    with pytest.raises(EdgestyleError, match="holds a run with a different generator, styles"):
        train_model([str(train_data)], out, other, tiny_train_config(), tmp_path / "cache", progress=False)


def test_a_model_needs_one_named_style() -> None:
    from edgestyle.train.styles import collect_styles

    with pytest.raises(EdgestyleError, match="every style is training-only"):
        collect_styles(["_a=cartoon", "_b=stylization"], None, None)
    assert [s.name for s in collect_styles(["a=cartoon", "_b=stylization"], None, None)] == ["a", "_b"]


def test_a_code_conditioned_run_resumes_with_more_style_pictures(tmp_path) -> None:
    """Style codes carry no weights per name, so pictures may be added to a kept run; a run with a
    learned vector per name still refuses another style list, and every run refuses another generator."""
    from edgestyle.train.model_dir import CHECKPOINT_DIR
    from edgestyle.train.run import RUN_FILE, _check_resume

    kept = {"generator": {"base_channels": 8}, "styles": ["starry", "cartoon"], "clip_len": 3}
    (tmp_path / CHECKPOINT_DIR).mkdir()
    (tmp_path / CHECKPOINT_DIR / RUN_FILE).write_text(json.dumps(kept))
    more = {**kept, "styles": ["starry", "cartoon", "ph_kodim03"]}
    _check_resume(tmp_path, more, fresh=False, styles_are_weights=False)
    with pytest.raises(EdgestyleError, match="different styles"):
        _check_resume(tmp_path, more, fresh=False, styles_are_weights=True)
    wider = {**more, "generator": {"base_channels": 16}}
    with pytest.raises(EdgestyleError, match="different generator"):
        _check_resume(tmp_path, wider, fresh=False, styles_are_weights=False)
    # Another clip length resumes the generator; only the temporal discriminator starts over.
    assert _check_resume(tmp_path, more, fresh=False, styles_are_weights=False) is False
    assert _check_resume(tmp_path, {**more, "clip_len": 6}, fresh=False, styles_are_weights=False) is True


@pytest.mark.slow
def test_mixed_bfloat16_follows_float32_and_saves_a_float32_model(train_data, tmp_path) -> None:
    """bfloat16 maths is a speed setting only: at a fixed seed the losses follow the float32 run's
    step by step, the saved generator computes in float32 (conversion and boards never see
    bfloat16), and the checkpoint continues in float32."""
    styles = [StyleSource("cartoon", teacher="cartoon"), StyleSource("paint", teacher="stylization")]

    def l1_per_step(out: Path, precision: str) -> np.ndarray:
        seen: list[float] = []
        config = tiny_train_config(max_steps=25, **{"runtime.precision": precision})
        train_model([str(train_data)], out, styles, config, tmp_path / "cache", progress=False,
                    on_step=lambda step, losses: seen.append(losses["l1"]))  # fmt: skip
        return np.array(seen)

    full = l1_per_step(tmp_path / "float32", "float32")
    out = tmp_path / "model"
    mixed = l1_per_step(out, "mixed_bfloat16")
    assert mixed[-5:].mean() < 0.8 * mixed[:5].mean(), mixed
    assert np.max(np.abs(mixed - full) / full) < 0.05, (full, mixed)

    model, meta = load_model_dir(out)
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}
    assert meta["training"]["config"]["runtime"]["precision"] == "mixed_bfloat16"
    inputs = {
        "frame": np.full((1, 32, 32, 3), 0.5, np.float32),
        **zero_states(load_generator_config(meta), 1, 32, 32),
    }
    inputs["style"] = np.array(meta["style"]["vectors"][:1], np.float32)
    assert model(inputs)["stylized"].dtype == tf.float32

    summary = train_model(
        [str(train_data)], out, styles, tiny_train_config(max_steps=30), tmp_path / "cache", progress=False
    )
    assert (summary["start_step"], summary["end_step"]) == (25, 30)


TINY_FEATURES = Path(__file__).parent / "data" / "tiny_features.tflite"


@pytest.mark.slow
@pytest.mark.parametrize(
    "network",
    [{"loss_net": str(TINY_FEATURES)}, {"vgg_weights": "random"}],
    ids=["tflite-loss-net", "random-vgg16"],
)
def test_perceptual_mode_with_an_lstm_cell(train_data, tmp_path, network) -> None:
    style = tmp_path / "style.png"
    cv2.imwrite(str(style), moving_scene(frames=1, width=80, height=80, seed=5)[0])
    config = tiny_train_config(model=tiny_config(cell="lstm"), max_steps=2, **network)
    config.objective.weights.colour = config.objective.weights.shift = 1.0
    config.objective.weights.patches = 1.0
    summary = train_model(
        [str(train_data / "stills")],
        tmp_path / "m",
        [StyleSource("s", style_image=str(style))],
        config,
        progress=False,
    )
    for term in ("style", "content", "colour", "shift", "patches"):
        assert summary["final_losses"][term] > 0, term
    meta = json.loads((tmp_path / "m" / "edgestyle.json").read_text())
    assert meta["style"] is None and meta["baked_style"] == "s" and len(meta["states"]) == 2
    assert meta["baked_colour"] == picture_colour(style)  # the palette anchor's target at run time


@pytest.mark.slow
def test_code_conditioned_training_with_colour_variants_and_a_filter_style(train_data, tmp_path) -> None:
    """Style input = the shipped predictor's code; a painting, two palette variants of it and the
    cartoon filter (perceptual terms against its own outputs); only named styles are stored."""
    from edgestyle.runtime.style_code import StylePredictor

    style = tmp_path / "painting.png"
    cv2.imwrite(str(style), moving_scene(frames=1, width=80, height=80, seed=5)[0])
    config = tiny_train_config(max_steps=2, loss_net=str(TINY_FEATURES), style_codes=True)
    config.data.style_views, config.data.style_variants, config.data.teacher_pictures = 3, 2, 2
    config.objective.weights.paired = 1.0
    summary = train_model(
        [str(train_data / "stills")],
        tmp_path / "m",
        [StyleSource("paint", style_image=str(style)), StyleSource("cartoon", teacher="cartoon")],
        config,
        progress=False,
    )
    assert summary["final_losses"]["style"] > 0 and summary["final_losses"]["l1"] > 0
    assert summary["final_losses"]["paired"] >= 0  # built into the step (both styles may not be drawn)
    meta = json.loads((tmp_path / "m" / "edgestyle.json").read_text())
    predictor = StylePredictor()
    assert meta["style"]["names"] == ["paint", "cartoon"] and meta["style"]["dim"] == predictor.dim
    assert meta["style"]["code"]["predictor"] == predictor.path.name
    assert meta["style"]["colours"] == [picture_colour(style), None]  # a filter has no picture
    # the config said style_dim 4 (tiny_config): the code's size replaced it, on the record
    assert meta["training"]["derived"] == {"model.style_dim": predictor.dim, "model.style_hidden": 32}
    painting_code = predictor.code(cv2.cvtColor(cv2.imread(str(style)), cv2.COLOR_BGR2RGB))
    np.testing.assert_allclose(meta["style"]["vectors"][0], painting_code, rtol=1e-5, atol=1e-5)
    model, _ = load_model_dir(tmp_path / "m")
    assert model.get_layer("style_hidden").units == 32


@pytest.mark.slow
def test_an_underscore_style_trains_but_is_not_a_named_style(train_data, tmp_path) -> None:
    """``_NAME`` styles are pictures to learn the code -> look mapping from: drawn in training,
    recorded in the provenance, not offered by name (a board would list them under --style)."""
    style = tmp_path / "painting.png"
    cv2.imwrite(str(style), moving_scene(frames=1, width=80, height=80, seed=5)[0])
    config = tiny_train_config(max_steps=1, loss_net=str(TINY_FEATURES), style_codes=True)
    config.data.style_views = 2
    config.data.style_mix = "paint=0"  # the one step draws the training-only picture
    train_model(
        [str(train_data / "stills")],
        tmp_path / "m",
        [StyleSource("paint", style_image=str(style)), StyleSource("_photo", style_image=str(style))],
        config,
        progress=False,
    )
    meta = json.loads((tmp_path / "m" / "edgestyle.json").read_text())
    assert meta["style"]["names"] == ["paint"] and len(meta["style"]["vectors"]) == 1
    assert meta["training"]["training_only_styles"] == ["_photo"]


def test_a_bad_loss_network_fails_before_training_with_one_line(train_data, tmp_path) -> None:
    style = tmp_path / "style.png"
    cv2.imwrite(str(style), moving_scene(frames=1, width=80, height=80, seed=5)[0])
    broken = tmp_path / "features.tflite"
    broken.write_bytes(b"TFL3" * 10)
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(train_data / "stills"),
            "-o",
            str(tmp_path / "m"),
            "--style-image",
            str(style),
            "--loss-net",
            str(broken),
            "--max-steps",
            "1",
        ],
    )
    assert result.exit_code != 0
    assert "loss network" in result.output and str(broken) in result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_mirrored_strategy_over_two_logical_cpus(train_data, tmp_path) -> None:
    """Also the weight average's update on mirrored variables (cross-replica context)."""
    script = textwrap.dedent(
        f"""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from edgestyle.train.run import train_model
        from edgestyle.train.styles import StyleSource
        from tests.test_train import tiny_train_config
        s = train_model([{str(train_data / "stills")!r}], {str(tmp_path / "m")!r}, [StyleSource("c", teacher="cartoon")],
                        tiny_train_config(max_steps=2, ema=0.99), {str(tmp_path / "cache")!r}, strategy="mirrored", progress=False)
        import json; print("RESULT", json.dumps({{"end": s["end_step"], "loss": s["final_losses"]["l1"]}}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    meta = json.loads((tmp_path / "m" / "edgestyle.json").read_text())
    assert meta["training"]["replicas"] == 2 and meta["training"]["strategy"] == "MirroredStrategy"
    assert '"end": 2' in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["{empty}"], "no images or videos found"),
        (["{bad_video}"], "cannot open video"),
        (["{data}", "--style-image", "{tmp}/missing.jpg"], "style image not found"),
        (["{data}", "--teacher", "{tmp}/nothere.tflite"], "unknown teacher"),
        (["{data}", "--teacher", "{tmp}/model.onnx"], "unknown teacher file"),
        (["{data}", "--teacher", "cartoon", "--set", "objective.weights.bogus=1"], "unknown config field"),
        (["{data}", "--teacher", "cartoon", "--crop", "30"], "multiple of the stride"),
        (
            ["{data}", "--teacher", "cartoon", "--set", "runtime.precision=float16"],
            "runtime.precision must be",
        ),
        (["{data}", "--teacher", "cartoon", "--set", "schedule.ema=1"], "schedule.ema must be"),
        (["{data}", "--teacher", "cartoon", "--set", "data.motion_zoom=0.9"], "data.motion_zoom 0-0.5"),
        (["{data}"], "no style given"),
    ],
)
def test_bad_input_is_one_line_and_nonzero_exit(train_data, tmp_path, args, message) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.mp4").write_bytes(b"not a video at all")
    (tmp_path / "model.onnx").write_bytes(b"onnx")
    fill = {
        "empty": tmp_path / "empty",
        "bad_video": tmp_path / "bad.mp4",
        "data": train_data / "stills",
        "tmp": tmp_path,
    }
    argv = ["train", *[a.format(**fill) for a in args], "--out", str(tmp_path / "out"), "--quiet"]
    if "--teacher" not in args and "--style-image" not in args and message != "no style given":
        argv += ["--teacher", "cartoon"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "edgestyle.json").exists()


def test_config_file_in_sections_and_overrides(tmp_path) -> None:
    file = tmp_path / "c.toml"
    file.write_text(
        '[schedule]\nmax_steps = 7\n[model]\ncell = "lstm"\n[objective.weights]\ntemporal = 3.5\n'
    )
    config = load_config(file, ["objective.weights.temporal=6", "data.fps=12.5", "optimizer.lr_g=1e-3"])
    got = (config.schedule.max_steps, config.model.cell, config.objective.weights.temporal, config.data.fps)
    assert got == (7, "lstm", 6.0, 12.5) and config.optimizer.lr_g == pytest.approx(1e-3)


def test_a_config_from_before_the_sections_is_mapped(tmp_path) -> None:
    """Old model folders record flat configs (generator, weights, then every other field at the
    top): ``--config`` reads one through the map, and old ``--set`` names still work."""
    old = {
        "generator": {"base_channels": 24, "cell": "gru", "style_dim": 100, "head": "paint"},
        "weights": {"temporal": 15.0, "flow": 10.0},
        "clip_len": 3, "max_steps": 16663, "lr_g": 0.002, "jit": False, "loss_net": None, "style_codes": True,
    }  # fmt: skip
    folder = tmp_path / "old_model"
    folder.mkdir()
    (folder / "edgestyle.json").write_text(
        json.dumps({"generator": old["generator"], "training": {"config": old}})
    )
    config = load_config(folder, ["weights.noise=4", "clip_len=5"])
    assert (config.model.base_channels, config.model.head, config.objective.weights.temporal) == (
        24,
        "paint",
        15.0,
    )
    assert (config.data.clip_len, config.schedule.max_steps, config.data.style_codes) == (5, 16663, True)
    assert config.objective.weights.noise == 4.0
    (tmp_path / "gone.json").write_text(json.dumps({"retired_knob": 1}))
    with pytest.raises(
        EdgestyleError, match="gone.json: unknown config field 'retired_knob'.*sections: data, model"
    ):
        load_config(tmp_path / "gone.json")


def test_the_camera_move_of_still_clips_comes_from_the_config() -> None:
    from edgestyle.train.run import _clip_sampler

    config = load_config(None, ["data.motion_shift=2", "data.motion_zoom=0.06", "data.motion_rotate=0"])
    styles = [SimpleNamespace(codes=None)]
    motion = _clip_sampler(SimpleNamespace(), styles, config, None).options.motion
    assert (motion.shift, motion.zoom, motion.rotate) == (2.0, 0.06, 0.0)


@pytest.mark.parametrize(
    "override, listed",
    [
        ("objective.weights.bogus=1", "objective.weights has: l1, l2, lowpass"),
        ("weights.bogus=1", "objective.weights has: l1, l2, lowpass"),
        ("model.depth=3", "model has: base_channels, cell"),
        ("data.lr_g=1", "data has: clip_len, crop"),
        ("wieghts.l1=1", "the config has sections: data, model, objective, optimizer, schedule, runtime"),
        ("bogus=1", "give section.key, sections: data, model, objective"),
    ],
)
def test_an_unknown_override_lists_the_keys_it_could_have_meant(override, listed) -> None:
    with pytest.raises(EdgestyleError, match="unknown config") as caught:
        load_config(None, [override])
    assert listed in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.slow
def test_sigterm_stops_cleanly_with_a_checkpoint_and_a_model_dir(train_data, tmp_path) -> None:
    import signal
    import time

    out = tmp_path / "m"
    argv = [
        str(Path(sys.executable).parent / "edgestyle"),
        "train",
        str(train_data / "stills"),
        "--out",
        str(out),
    ]
    argv += [
        "--teacher",
        "cartoon",
        "--max-steps",
        "100000",
        "--checkpoint-every",
        "2",
        "--crop",
        "32",
        "--batch",
        "2",
    ]
    argv += ["--base-channels", "8", "--set", "model.res_blocks=1", "--set", "runtime.workers=1", "--quiet"]
    argv += ["--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while (
        not list((out / "checkpoints").glob("ckpt-*.index"))
        and time.monotonic() < deadline
        and proc.poll() is None
    ):
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr[-2000:]  # 128 + SIGTERM, after the checkpoint and model dir
    assert (
        "interrupted" in stdout and (out / "edgestyle.json").is_file() and (out / "generator.keras").is_file()
    )
    meta = json.loads((out / "edgestyle.json").read_text())
    assert meta["training"]["run"]["stopped_by"] == "interrupted" and meta["baked_style"] == "cartoon"


@pytest.mark.parametrize(
    "min_zoom,short_side,expected",
    [(1.0, 512, (1.0, 1.0)), (0.4, 512, (0.4, 1.0)), (0.4, 100, (1.6, 1.6)), (1.0, 100, (1.6, 1.6))],
)
def test_crop_zoom_respects_min_zoom_and_upscales_small_sources(min_zoom, short_side, expected) -> None:
    """min_zoom=1 keeps the teacher's texture at the scale it was rendered at (no zoom-out)."""
    from edgestyle.train.data import ClipOptions, ClipSampler, Sources, StyleTargets

    sampler = ClipSampler(Sources(), [StyleTargets("s")], ClipOptions(crop=128, min_zoom=min_zoom))
    rng = np.random.default_rng(0)
    zooms = [sampler._zoom(rng, (short_side, 2 * short_side)) for _ in range(50)]
    assert expected[0] - 1e-6 <= min(zooms) and max(zooms) <= expected[1] + 1e-6
    if expected[0] < expected[1]:
        assert max(zooms) - min(zooms) > 0.3  # actually random across the range


def test_style_mix_draws_the_named_style_more_often_and_rejects_unknown_names() -> None:
    """data.style_mix gives a style more clips; a typo must not silently train uniformly."""
    from edgestyle.errors import EdgestyleError
    from edgestyle.train.data import ClipOptions, ClipSampler, Sources, StyleTargets, style_weights

    names = ["starry", "wave", "cartoon"]
    assert style_weights("", names) is None
    assert style_weights("cartoon=3", names) == (1.0, 1.0, 3.0)
    for bad in ("cartoon=x", "carton=2", "cartoon", "cartoon=-1", "starry=0,wave=0,cartoon=0"):
        with pytest.raises(EdgestyleError, match="style_mix"):
            style_weights(bad, names)

    still = np.random.default_rng(1).integers(0, 255, (160, 160, 3), dtype=np.uint8)
    styles = [StyleTargets(n, style_images=[still]) for n in names]
    sampler = ClipSampler(
        Sources(stills=[still], names=["a"]),
        styles,
        ClipOptions(clip_len=2, crop=64, style_weights=style_weights("cartoon=3", names)),
    )
    drawn = [int(sampler.sample(np.random.default_rng([0, k]))["style"]) for k in range(200)]
    share = drawn.count(2) / len(drawn)
    assert 0.45 < share < 0.75  # 3 / 5 expected; uniform would give a third


@pytest.mark.slow
def test_weight_average_switched_on_when_resuming_is_what_the_model_saves(train_data, tmp_path) -> None:
    import tensorflow as tf

    out = tmp_path / "model"
    styles = [StyleSource("cartoon", teacher="cartoon")]
    train_model(
        [str(train_data)], out, styles, tiny_train_config(max_steps=10), tmp_path / "c", progress=False
    )
    averaged = tiny_train_config(max_steps=20, ema=0.9)
    summary = train_model([str(train_data)], out, styles, averaged, tmp_path / "c", progress=False)
    assert (summary["start_step"], summary["end_step"]) == (10, 20)  # resumed from a run without it

    reader = tf.train.load_checkpoint(str(out / "checkpoints"))
    names = [n for n in reader.get_variable_to_shape_map() if n.startswith("generator_ema/shadow/")]
    shadow = [reader.get_tensor(n) for n in sorted(names, key=lambda n: int(n.split("/")[2]))]
    model, meta = load_model_dir(out)
    saved = [w.numpy() for w in model.trainable_variables]
    assert len(saved) == len(shadow) and meta["training"]["config"]["schedule"]["ema"] == 0.9
    for s, w in zip(shadow, saved, strict=True):
        np.testing.assert_allclose(w, s, atol=1e-6)  # the model is the average ...
    restored = tf.train.Checkpoint(generator=model)  # ... not the live weights of step 20
    restored.read(str(tf.train.latest_checkpoint(out / "checkpoints"))).expect_partial()
    live = [w.numpy() for w in model.trainable_variables]
    assert max(np.abs(a - b).max() for a, b in zip(live, saved, strict=True)) > 1e-4
