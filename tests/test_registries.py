"""Extension seams: a new source and a new sink added the way docs/runtime.md says (one class each
plus one registration), with no edit anywhere else, run end to end by ``edgestyle run``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from edgestyle.cli import app
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sinks import SINKS, FrameSink, SinkOptions, open_sink, register_sink
from edgestyle.runtime.sources import SOURCES, FrameSource, SourceOptions, open_source, register_source
from edgestyle.runtime.uris import Uri


class GenSource(FrameSource):
    """``gen://?frames=N&size=WxH``: N frames of a rising grey level, then the end (a finite source)."""

    schemes = ("gen",)
    example = "gen://"
    name = "gen"

    def __init__(self, frames: int, size: tuple[int, int]):
        super().__init__()
        self.left, self.size = frames, size

    @classmethod
    def from_uri(cls, uri: Uri, options: SourceOptions) -> GenSource:
        return cls(int(uri.param("frames") or 10), uri.size_param((32, 24)))

    def read(self) -> np.ndarray | None:
        if self.left == 0:
            return None
        self.left -= 1
        return np.full((self.size[1], self.size[0], 3), 10 * self.left, np.uint8)


class CountSink(FrameSink):
    """``count://NAME``: counts frames into a class-level tally the test can read after the CLI exits."""

    schemes = ("count",)
    example = "count://NAME"
    tally: dict[str, list[tuple[int, int]]] = {}

    def __init__(self, key: str):
        self.key, self.name = key, f"count://{key}"
        self.tally[key] = []

    @classmethod
    def from_uri(cls, uri: Uri, options: SinkOptions) -> CountSink:
        return cls(uri.target)

    def write(self, frame_bgr: np.ndarray) -> bool:
        self.tally[self.key].append(frame_bgr.shape[1::-1])
        return True


@pytest.fixture
def plugins():
    register_source(GenSource)
    register_sink(CountSink)
    yield
    SOURCES.unregister(GenSource)
    SINKS.unregister(CountSink)


def test_a_new_source_and_sink_run_through_edgestyle_run(plugins, tiny_stateful_tflite):
    args = ["run", "gen://?frames=7&size=40x30", "-o", "count://take", "-o", "null"]
    result = CliRunner().invoke(app, [*args, "-m", str(tiny_stateful_tflite)])
    assert result.exit_code == 0, result.output
    assert CountSink.tally["take"] == [(40, 30)] * 7  # every frame of a finite source, at its size


def test_registered_schemes_show_in_errors_and_go_away_again(plugins):
    with pytest.raises(EdgestyleError, match=r"unknown source 'nope://x': use picam:0, .*test:// or gen://"):
        open_source("nope://x")
    assert isinstance(open_sink("count://x"), CountSink)
    SINKS.unregister(CountSink)
    with pytest.raises(EdgestyleError, match="unknown sink 'count://x'"):
        open_sink("count://x")


def test_bare_words_paths_and_prefixes_resolve_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "null").mkdir()  # a folder named like a sink keyword: the keyword still wins for sinks
    assert type(open_sink("NULL")).__name__ == "NullSink"
    assert SINKS.resolve("/dev/fb1")[0].__name__ == "FramebufferSink"
    assert SOURCES.resolve("/dev/v4l/by-id/usb-cam")[0].__name__ == "V4L2Source"
    entry, uri = SOURCES.resolve("clips/a.mp4")
    assert entry.__name__ == "VideoFileSource" and uri.target == "clips/a.mp4"
    assert SOURCES.resolve("picam:1")[1].target == "1" and SOURCES.resolve("csi://2")[1].target == "2"


def test_the_cli_imports_without_numpy_or_opencv():
    """The registries feed `edgestyle run --help`, so loading them must stay cheap (no numpy, no cv2)."""
    code = "import sys, edgestyle.cli; print(sorted({'numpy', 'cv2'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
