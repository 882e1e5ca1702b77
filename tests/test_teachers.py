"""Teachers: built-in OpenCV filters, a real .tflite image-to-image model, the on-disk cache, bad specs,
the registry of kinds, and the one reader for style pictures they share with training and the runtime."""

from __future__ import annotations

import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.teachers import (
    TEACHERS,
    CachedTeacher,
    Teacher,
    TeacherKind,
    builtin_teachers,
    load_teacher,
    register_teacher,
    teacher_help,
    teacher_style_name,
)


@pytest.fixture()
def frame() -> np.ndarray:
    from edgestyle.synthetic import moving_scene

    return moving_scene(frames=1, width=96, height=64, seed=3)[0][..., ::-1].copy()


@pytest.mark.parametrize("spec", ["cartoon", "toon", "stylization"])
def test_builtin_teachers_stylize_at_the_same_size(spec: str, frame: np.ndarray) -> None:
    teacher = load_teacher(spec)
    out = teacher(frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - frame).mean() > 3  # it changed the picture
    assert np.array_equal(out, teacher(frame))  # deterministic: cacheable


def test_toon_has_no_hard_steps_where_cartoon_flips_outlines(frame: np.ndarray) -> None:
    """The toon filter is smooth in its input (tanh bands, soft DoG lines): a one-level brightness
    change moves no pixel far, while cartoon's binary outlines flip between ink and paper. That
    is why it holds still on camera footage (its own flicker, measured in the cartoon card)."""
    brighter = np.clip(frame.astype(int) + 1, 0, 255).astype(np.uint8)
    jump = {
        spec: np.abs(load_teacher(spec)(brighter).astype(int) - load_teacher(spec)(frame)).max()
        for spec in ("cartoon", "toon")
    }
    assert jump["cartoon"] >= 200 and jump["toon"] < 100, jump


def test_tflite_teacher_resizes_to_its_input_and_back(tiny_plain_tflite, frame: np.ndarray) -> None:
    teacher = load_teacher(str(tiny_plain_tflite))
    out = teacher(frame)
    assert out.shape == frame.shape
    assert teacher.key != load_teacher(f"{tiny_plain_tflite}?range=-1,1").key


def test_cache_returns_stored_outputs(tmp_path, frame: np.ndarray) -> None:
    teacher = CachedTeacher(load_teacher("cartoon"), tmp_path)
    first, second = teacher(frame), teacher(frame)
    assert np.array_equal(first, second) and (teacher.misses, teacher.hits) == (1, 1)
    assert len(list((tmp_path / teacher.key).glob("*.png"))) == 1


@pytest.mark.parametrize(
    "spec,message",
    [
        ("vangogh", "unknown teacher"),
        ("nothere.tflite", "unknown teacher"),
        ("{tmp}/x.onnx", "unknown teacher file"),
    ],
)
def test_bad_specs_are_one_clear_error(tmp_path, spec: str, message: str) -> None:
    (tmp_path / "x.onnx").write_bytes(b"onnx")
    with pytest.raises(EdgestyleError, match=message):
        load_teacher(spec.format(tmp=tmp_path))


def test_magenta_layout_needs_both_networks_and_a_style_image(tmp_path, tiny_plain_tflite) -> None:
    with pytest.raises(EdgestyleError, match="Magenta layout"):
        load_teacher(f"magenta:{tmp_path}")
    (tmp_path / "style_predict_x.tflite").write_bytes(tiny_plain_tflite.read_bytes())
    (tmp_path / "style_transfer_x.tflite").write_bytes(tiny_plain_tflite.read_bytes())
    with pytest.raises(EdgestyleError, match="needs a style image"):
        load_teacher(str(tmp_path))
    with pytest.raises(EdgestyleError, match="image not found"):
        load_teacher(f"{tmp_path}@{tmp_path}/missing.jpg")


def test_saved_model_teacher_honours_the_value_range(tmp_path, frame: np.ndarray) -> None:
    tf = pytest.importorskip("tensorflow")

    class Negate(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="image")])
        def __call__(self, image):
            return {"out": -image}  # the negative in [-1, 1] coordinates

    module = Negate()
    tf.saved_model.save(module, str(tmp_path / "neg"), signatures=module.__call__)
    out = load_teacher(f"{tmp_path / 'neg'}?range=-1,1")(frame)
    assert np.abs(out.astype(int) - (255 - frame.astype(int))).max() <= 1


def test_colour_transfer_baseline_moves_the_frame_to_the_pictures_palette(tmp_path) -> None:
    import cv2

    from edgestyle.teachers import load_teacher

    style = np.zeros((64, 64, 3), np.uint8)
    style[:, :32] = (20, 40, 160)  # a blue and orange picture (RGB)
    style[:, 32:] = (230, 140, 30)
    path = tmp_path / "style.png"
    cv2.imwrite(str(path), cv2.cvtColor(style, cv2.COLOR_RGB2BGR))
    teacher = load_teacher(f"colour-transfer@{path}")
    frame = np.random.default_rng(0).integers(90, 110, (48, 64, 3), dtype=np.uint8)  # a grey frame
    out = teacher(frame)
    lab_out = cv2.cvtColor(out, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(float)
    lab_style = cv2.cvtColor(style, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(float)
    assert np.allclose(lab_out.mean(axis=0), lab_style.mean(axis=0), atol=6)
    assert lab_out.std(axis=0)[0] > 5 * cv2.cvtColor(frame, cv2.COLOR_RGB2LAB)[..., 0].std()
    with pytest.raises(EdgestyleError, match="needs a style image"):
        load_teacher("colour-transfer")


# -- the registry ---------------------------------------------------------------------------------


def test_cache_keys_survive_the_move_to_a_package(tiny_plain_tflite) -> None:
    """Keys are what the on-disk caches are filed under: a refactor must not orphan them."""
    assert load_teacher("cartoon").key == "3c882d772b46addd"
    assert load_teacher("stylization").key == "ca9f3b39b65162c6"
    assert load_teacher(str(tiny_plain_tflite)).key == "55cf55e4de7737fa"
    assert load_teacher(f"tflite:{tiny_plain_tflite}").key == "55cf55e4de7737fa"


def build_invert(spec) -> Teacher:
    return Teacher("invert", "invert-v1", lambda rgb: 255 - rgb)


@pytest.fixture()
def invert_kind():
    kind = register_teacher(TeacherKind("invert", "invert", f"{__name__}:build_invert"))
    yield kind
    TEACHERS.unregister(kind)


def test_a_new_kind_is_one_registration_and_shows_in_help_and_errors(invert_kind, frame) -> None:
    assert np.array_equal(load_teacher("invert")(frame), 255 - frame)
    assert "invert" in teacher_help() and "invert" in builtin_teachers()
    with pytest.raises(EdgestyleError, match=r"not a built-in \(cartoon, toon, stylization, .*invert\)"):
        load_teacher("vangogh")
    TEACHERS.unregister(invert_kind)
    with pytest.raises(EdgestyleError, match="unknown teacher 'invert'"):
        load_teacher("invert")


def test_the_cli_help_lists_every_registered_kind() -> None:
    from typer.testing import CliRunner

    from edgestyle.cli import app

    for command in ("train", "eval"):
        output = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
        text = " ".join(output.replace("│", " ").split())  # a usage wrapped in the help box reads on
        assert all(kind.usage in text for kind in TEACHERS), (command, text)


@pytest.mark.parametrize(
    "spec,message",
    [
        ("cartoon:photo.png", "teacher cartoon takes no path"),
        ("magenta:{tmp}/missing", "no file or directory"),
        ("tflite:{tmp}", r"is not what tflite: takes \(MODEL.tflite\)"),
        ("savedmodel:{tmp}", r"is not what savedmodel: takes \(a SavedModel DIR\)"),
        ("magenta:{tmp}/x.onnx", r"is not what magenta: takes \(magenta:DIR@STYLE.jpg\)"),
    ],
)
def test_prefixed_specs_name_their_kind(tmp_path, spec: str, message: str) -> None:
    (tmp_path / "x.onnx").write_bytes(b"onnx")
    with pytest.raises(EdgestyleError, match=message):
        load_teacher(spec.format(tmp=tmp_path))


@pytest.mark.parametrize(
    "spec,name",
    [("cartoon", "cartoon"), ("colour-transfer@a.jpg", "colour-transfer"), ("magenta:dir/x@a.jpg", "x")],
)
def test_a_lone_teacher_trains_under_its_name(spec: str, name: str) -> None:
    assert teacher_style_name(spec) == name


# -- one reader for style pictures ----------------------------------------------------------------


@pytest.fixture()
def tiny_picture(tmp_path):
    import cv2

    path = tmp_path / "tiny.png"
    cv2.imwrite(str(path), np.full((20, 40, 3), 128, np.uint8))
    return path


def test_teachers_check_style_pictures_like_the_runtime(tmp_path, tiny_plain_tflite, tiny_picture) -> None:
    for name in ("style_predict_x.tflite", "style_transfer_x.tflite"):
        (tmp_path / name).write_bytes(tiny_plain_tflite.read_bytes())
    too_small = "style image .*tiny.png: 40x20 is too small"
    with pytest.raises(EdgestyleError, match=too_small):
        load_teacher(f"colour-transfer@{tiny_picture}")
    with pytest.raises(EdgestyleError, match=too_small):
        load_teacher(f"magenta:{tmp_path}", style_image=tiny_picture)
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(EdgestyleError, match="not a picture"):
        load_teacher(f"colour-transfer@{tmp_path / 'notes.txt'}")


def test_training_checks_style_pictures_like_the_runtime(tmp_path, tiny_picture) -> None:
    pytest.importorskip("tensorflow")
    import cv2
    from typer.testing import CliRunner

    from edgestyle.cli import app

    (tmp_path / "photos").mkdir()
    cv2.imwrite(str(tmp_path / "photos" / "a.png"), np.full((64, 64, 3), 90, np.uint8))
    argv = ["train", str(tmp_path / "photos"), "-o", str(tmp_path / "m"), "--style-image", str(tiny_picture)]
    result = CliRunner().invoke(app, [*argv, "--max-steps", "1", "--quiet"])
    assert result.exit_code != 0 and "40x20 is too small (at least 32 px a side)" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_runtime_never_imports_teachers_or_training() -> None:
    """The runtime is the bottom layer (and runs on boards): teachers build on it, never the reverse."""
    import ast
    from pathlib import Path

    import edgestyle.runtime

    offenders = []
    for file in Path(edgestyle.runtime.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [
                f"{file.name}: {n}" for n in names if n.startswith(("edgestyle.teachers", "edgestyle.train"))
            ]
    assert not offenders
