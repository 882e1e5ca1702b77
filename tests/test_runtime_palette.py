"""The palette anchor (edgestyle/runtime/palette.py): a style's picture (given, or recorded for a named
style) moves the output's mean colour to the picture's by one offset, so frame-to-frame changes pass
through untouched.

Runs the real tiny code-conditioned int8 model (tests/data/tiny_code_int8.tflite) in LiteRT.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edgestyle.contract import embed_contract, read_embedded_contract
from edgestyle.runtime.palette import PaletteAnchor, mean_colour
from edgestyle.runtime.style_code import StylePicture
from edgestyle.runtime.stylizer import Stylizer
from edgestyle.synthetic import moving_scene

CODE_MODEL = Path(__file__).parent / "data" / "tiny_code_int8.tflite"


def flat_picture(path: Path, rgb: tuple[int, int, int]) -> Path:
    picture = np.zeros((96, 96, 3), np.uint8) + np.array(rgb, np.uint8)
    picture[::8] = 255 - picture[::8]  # some structure, so the predictor sees a picture
    cv2.imwrite(str(path), picture[:, :, ::-1])
    return path


def test_the_anchor_moves_the_mean_and_keeps_frame_differences() -> None:
    rng = np.random.default_rng(0)
    anchor = PaletteAnchor()
    target = np.array([200, 60, 90], np.uint8)
    anchor.set_target(target)
    first = rng.integers(80, 160, (48, 64, 3)).astype(np.uint8)
    second = np.roll(first, 3, axis=1)  # the same colours moved: the same mean
    shown_first, shown_second = anchor(first), anchor(second)
    np.testing.assert_allclose(mean_colour(shown_first), target, atol=3)
    np.testing.assert_array_equal(
        shown_second.astype(int) - shown_first.astype(int), second.astype(int) - first.astype(int)
    )


def test_a_share_applies_that_part_of_the_offset() -> None:
    """A blend of a painting and a colourless style (cartoon) moves the colour only part way, so a
    crossfade into cartoon (``run --cycle-styles``) fades the anchor out instead of dropping it."""
    anchor = PaletteAnchor()
    grey = np.full((16, 16, 3), 100, np.uint8)
    anchor.set_target(np.full(3, 160.0), share=0.5)
    assert anchor(grey)[0, 0, 0] == 130
    anchor.set_target(np.full(3, 160.0), share=0.0)
    np.testing.assert_array_equal(anchor(grey), grey)


def test_the_offset_follows_a_new_scene_slowly_and_restarts_on_reset() -> None:
    anchor = PaletteAnchor()
    anchor.set_target(np.full(3, 128.0))
    dark, bright = np.full((16, 16, 3), 50, np.uint8), np.full((16, 16, 3), 100, np.uint8)
    assert anchor(dark)[0, 0, 0] == 128
    after_one = int(anchor(bright)[0, 0, 0])
    assert 170 <= after_one <= 180  # offset 78 -> 78 - 0.05 * 50: no jump to the new scene's offset
    anchor.reset()
    assert anchor(bright)[0, 0, 0] == 128  # a reset (scene cut, new clip) measures afresh
    anchor.set_target(np.full(3, 148.0))  # a new picture while anchored (a crossfade): no jump either
    assert 128 <= anchor(bright)[0, 0, 0] <= 130
    anchor.set_target(None)
    np.testing.assert_array_equal(anchor(bright), bright)  # no picture: outputs as they are


def with_colours(tmp_path: Path, colours: list) -> Path:
    """The tiny code model with its named styles' picture colours in its embedded contract."""
    contract = read_embedded_contract(CODE_MODEL.read_bytes())
    contract.style.colours = colours
    path = tmp_path / "coloured.tflite"
    path.write_bytes(embed_contract(CODE_MODEL.read_bytes(), contract))
    return path


def test_named_styles_and_blends_take_their_pictures_colours_when_the_model_records_them(tmp_path) -> None:
    warm, cold = [220.0, 120.0, 40.0], [30.0, 90.0, 200.0]
    model = with_colours(tmp_path, [warm, cold])
    stylizer = Stylizer(model, style="warm")
    np.testing.assert_allclose(stylizer.palette.target, warm)
    stylizer.set_style({"warm": 1.0, "cold": 3.0})  # normalized: 0.25 / 0.75, the blend's mean colour
    np.testing.assert_allclose(stylizer.palette.target, [77.5, 97.5, 160.0])
    assert not Stylizer(model, style="warm", match_palette=False).palette.active
    partial = Stylizer(with_colours(tmp_path, [warm, None]), style="warm")
    partial.set_style({"warm": 0.25, "cold": 0.75})  # "cold": a filter without a picture
    np.testing.assert_allclose(partial.palette.target, warm)
    assert partial.palette.share == 0.25  # the anchor fades with the coloured part of a blend
    partial.set_style("cold")
    assert not partial.palette.active  # nothing in it has a colour: shown as trained
    frames = [f[:, :, ::-1].copy() for f in moving_scene(3, 64, 48)]
    anchored = [np.abs(mean_colour(stylizer.step(f)) - stylizer.palette.target).max() for f in frames]
    assert max(anchored) < 3


def test_a_picture_style_takes_the_pictures_mean_colour_and_names_do_not(tmp_path) -> None:
    red = flat_picture(tmp_path / "red.png", (210, 40, 40))
    frames = [f[:, :, ::-1].copy() for f in moving_scene(4, 64, 48)]
    anchored = Stylizer(CODE_MODEL, style=StylePicture(red), hold=0, stabilize=0)
    plain = Stylizer(CODE_MODEL, style=StylePicture(red), hold=0, stabilize=0, match_palette=False)
    target = mean_colour(cv2.imread(str(red))[:, :, ::-1].copy())
    miss_anchored = [np.abs(mean_colour(anchored.step(f)) - target).max() for f in frames]
    miss_plain = [np.abs(mean_colour(plain.step(f)) - target).max() for f in frames]
    assert max(miss_anchored) < 0.5 * min(miss_plain), (miss_anchored, miss_plain)
    named = Stylizer(CODE_MODEL, style="warm")
    assert not named.palette.active  # a file without its styles' colours: shown as trained
    named.set_style(StylePicture(red))
    assert named.palette.active
    named.set_style("cold")
    assert not named.palette.active
