"""Teachers: built-in OpenCV filters, a real .tflite image-to-image model, the on-disk cache, bad specs."""

from __future__ import annotations

import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.teachers import CachedTeacher, load_teacher


@pytest.fixture()
def frame() -> np.ndarray:
    from edgestyle.synthetic import moving_scene

    return moving_scene(frames=1, width=96, height=64, seed=3)[0][..., ::-1].copy()


@pytest.mark.parametrize("spec", ["cartoon", "stylization"])
def test_builtin_teachers_stylize_at_the_same_size(spec: str, frame: np.ndarray) -> None:
    teacher = load_teacher(spec)
    out = teacher(frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - frame).mean() > 3  # it changed the picture
    assert np.array_equal(out, teacher(frame))  # deterministic: cacheable


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
