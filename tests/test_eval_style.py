"""Style distance ranks a stylization closer to its style image than the plain input; pictures draw."""

from __future__ import annotations

import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.evaluation.contact_sheet import (
    _fit_label,
    contact_sheet,
    flicker_map_sheet,
    pick_frames,
    stability_plot,
)
from edgestyle.evaluation.style_distance import sliced_wasserstein, style_distance
from edgestyle.synthetic import moving_scene


@pytest.fixture(scope="module")
def style_and_frames():
    import cv2

    ys, xs = np.mgrid[0:96, 0:128]
    stripes = (127 + 120 * np.sin(xs / 3.0 + ys / 5.0)).astype(np.uint8)
    style = cv2.applyColorMap(stripes, cv2.COLORMAP_HOT)
    frames = moving_scene(frames=4, width=64, height=48)
    return style, frames


def test_sliced_wasserstein_is_zero_for_equal_sets_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.random((500, 6))
    assert sliced_wasserstein(a, a) == pytest.approx(0.0, abs=1e-12)
    near, far = sliced_wasserstein(a, a + 0.05), sliced_wasserstein(a, a + 0.5)
    assert 0 < near < far
    assert sliced_wasserstein(a, rng.random((300, 6))) < near  # same distribution, different sizes
    with pytest.raises(EdgestyleError):
        sliced_wasserstein(a, a[:, :3])


def test_style_distance_prefers_outputs_that_look_like_the_style(style_and_frames):
    import cv2

    style, frames = style_and_frames
    in_style = [cv2.resize(style[10:58, 20:84], (64, 48)) for _ in frames]
    plain = style_distance(frames, style)
    styled = style_distance(in_style, style)
    assert styled.distance < 0.5 * plain.distance
    assert set(styled.levels) >= {"colour", "patches@1/1", "patches@1/2"}


def test_contact_sheet_and_plot_have_the_expected_layout(style_and_frames):
    _, frames = style_and_frames
    sheet = contact_sheet(
        {"input": frames, "model": frames[::-1]}, pick_frames(len(frames), 3), tile_width=64
    )
    assert pick_frames(4, 3) == [0, 2, 3] and pick_frames(1, 4) == [0]
    assert sheet.shape[0] > 3 * 48 and sheet.shape[1] > 2 * 64 and sheet.dtype == np.uint8
    plot = stability_plot({"input": [0.001, 0.002], "flicker": [0.02, float("nan"), 0.03]}, size=(400, 200))
    assert plot.shape == (200, 400, 3) and (plot != 255).any()


def test_long_labels_are_cut_in_the_middle_so_a_second_run_keeps_its_number():
    label = _fit_label("default_384x384_mondrian_int8.tflite#2", 160, 0.45)
    assert label.startswith("default") and label.endswith("#2") and "..." in label
    assert _fit_label("input", 160, 0.45) == "input"


def test_flicker_map_sheet_has_a_tile_per_run_on_one_scale():
    dark, bright = np.zeros((48, 64), np.float32), np.full((48, 64), (4 / 255) ** 2, np.float32)
    sheet = flicker_map_sheet({"input": dark, "model": bright}, full_scale=4.0, tile_width=64)
    assert sheet.shape[1] == 2 * (64 + 4) + 4 and sheet.dtype == np.uint8
    tiles = sheet[28 : 28 + 48]
    assert tiles[:, 4 : 4 + 64].mean() < 20 < tiles[:, 72 : 72 + 64].mean()  # 4 levels: full brightness
    with pytest.raises(EdgestyleError, match="nothing"):
        flicker_map_sheet({}, 1.0)
