"""Video files people can share: H.264 MP4 through PyAV with the input's audio, the OpenCV fallback,
fragmented recordings that survive SIGKILL. Every output is decoded back and measured with PyAV."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import av
import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.video_io import VideoFileWriter, probe_video, read_frames, video_backend
from edgestyle.synthetic import moving_scene, write_clip_with_audio

SIZE = (96, 64)


def streams(path: Path) -> dict[str, dict]:
    """Codec, decoded frame count and duration (s) per stream type, measured by decoding with PyAV."""
    out: dict[str, dict] = {}
    with av.open(str(path)) as container:
        for stream in container.streams:
            out[stream.type] = {"codec": stream.codec_context.codec.canonical_name, "frames": 0, "end": 0.0}
            out[stream.type]["pix_fmt"] = getattr(stream.codec_context, "pix_fmt", None)
        for stream_type in list(out):
            container.seek(0)
            for frame in container.decode(**{stream_type: 0}):
                out[stream_type]["frames"] += 1
                length = frame.samples / frame.sample_rate if stream_type == "audio" else 0.0
                out[stream_type]["end"] = max(out[stream_type]["end"], float(frame.time) + length)
    return out


@pytest.fixture(scope="module")
def clip_with_audio(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("av") / "talk.mp4"
    write_clip_with_audio(str(path), frames=45, size=SIZE, fps=15)
    return path


def copy_through(src: Path, dst: Path, **kwargs) -> VideoFileWriter:
    fps, _, size = probe_video(src)
    with VideoFileWriter(dst, fps, size, audio_from=src, **kwargs) as writer:
        for frame in read_frames(src):
            writer.write(255 - frame)
    return writer


def test_h264_mp4_keeps_frames_duration_and_audio(clip_with_audio, tmp_path):
    writer = copy_through(clip_with_audio, tmp_path / "out.mp4")
    source, result = streams(clip_with_audio), streams(tmp_path / "out.mp4")
    assert writer.audio == "copied aac"
    assert result["video"]["codec"] == "h264" and result["video"]["pix_fmt"] == "yuv420p"
    assert result["video"]["frames"] == source["video"]["frames"] == 45
    assert result["audio"] == source["audio"]  # packets copied: same codec, frames and end time
    assert probe_video(tmp_path / "out.mp4") == (15.0, 45, SIZE)


def test_audio_a_container_cannot_play_is_reencoded_and_no_audio_is_fine(tmp_path):
    wav_in_mov = tmp_path / "pcm.mov"
    write_clip_with_audio(str(wav_in_mov), frames=15, size=SIZE, fps=15, audio_codec="pcm_s16le")
    writer = copy_through(wav_in_mov, tmp_path / "out.mp4")
    result = streams(tmp_path / "out.mp4")
    assert writer.audio == "re-encoded pcm_s16le to aac" and result["audio"]["codec"] == "aac"
    assert abs(result["audio"]["end"] - 1.0) < 0.05  # within one AAC frame of the input's second

    silent = tmp_path / "silent.mp4"
    write_clip_with_audio(str(silent), frames=15, size=SIZE, fps=15, audio_codec=None)
    writer = copy_through(silent, tmp_path / "out2.mp4")
    assert writer.audio == "none" and set(streams(tmp_path / "out2.mp4")) == {"video"}


@pytest.mark.parametrize("suffix", [".mkv", ".avi", ".mov"])
def test_other_containers(tmp_path, suffix):
    frames = moving_scene(6, *SIZE)
    with VideoFileWriter(tmp_path / f"o{suffix}", 12, SIZE) as writer:
        for frame in frames:
            writer.write(frame)
    back = list(read_frames(tmp_path / f"o{suffix}"))
    assert len(back) == 6 and np.abs(back[3].astype(int) - frames[3]).mean() < 6


def test_odd_sizes_are_padded_to_even(tmp_path):
    frames = moving_scene(3, 33, 21)
    with VideoFileWriter(tmp_path / "odd.mp4", 10, (33, 21)) as writer:
        for frame in frames:
            writer.write(frame)
    back = list(read_frames(tmp_path / "odd.mp4"))
    assert back[0].shape == (22, 34, 3) and np.abs(back[1][:21, :33].astype(int) - frames[1]).mean() < 6


def test_rotated_phone_video_is_read_upright(tmp_path):
    path = tmp_path / "phone.mp4"
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[:, :32] = 255  # left half white
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        if not hasattr(stream, "set_display_rotation"):
            pytest.skip("this PyAV cannot write a display matrix")
        stream.set_display_rotation(90)  # counter-clockwise, as phones record portrait video
        for i in range(2):
            picture = av.VideoFrame.from_ndarray(frame, format="bgr24")
            picture.pts = i
            out.mux(stream.encode(picture))
        out.mux(stream.encode(None))
    upright = next(read_frames(path))
    assert upright.shape == (64, 48, 3) and probe_video(path)[2] == (48, 64)
    assert upright[-8:].mean() > 200 and upright[:8].mean() < 50  # the white half turned to the bottom


def test_opencv_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGESTYLE_VIDEO_BACKEND", "opencv")
    assert video_backend() == "opencv"
    with VideoFileWriter(tmp_path / "cv.mp4", 12, SIZE, audio_from=tmp_path / "none.mp4") as writer:
        for frame in moving_scene(5, *SIZE):
            writer.write(frame)
    assert writer.backend == "opencv" and writer.audio == "none" and not writer.fragmented
    assert probe_video(tmp_path / "cv.mp4") == (12.0, 5, SIZE)
    monkeypatch.setenv("EDGESTYLE_VIDEO_BACKEND", "gstreamer")
    with pytest.raises(EdgestyleError, match="unknown video backend"):
        video_backend()
    monkeypatch.delenv("EDGESTYLE_VIDEO_BACKEND")
    assert streams(tmp_path / "cv.mp4")["video"]["codec"] == "mpeg4"  # what browsers refuse


KILLED_RECORDING = textwrap.dedent(
    """
    import os, signal, sys
    from edgestyle.runtime.video_io import VideoFileWriter
    from edgestyle.synthetic import moving_scene
    frames = moving_scene(10, 64, 48)
    writer = VideoFileWriter(sys.argv[1], 10, (64, 48), fragmented=True)
    for i in range(45):  # 4.5 s of video
        writer.write(frames[i % 10])
    os.kill(os.getpid(), signal.SIGKILL)  # no close(): the index of a plain MP4 would never be written
    """
)


def test_fragmented_recording_survives_sigkill(tmp_path):
    proc = subprocess.run([sys.executable, "-c", KILLED_RECORDING, str(tmp_path / "rec.mp4")], timeout=60)
    assert proc.returncode == -9
    (partial,) = tmp_path.glob(".rec.*.recording.mp4")  # a recording: swept into rec.recovered-*.mp4
    assert sum(1 for _ in read_frames(partial)) >= 40  # all but the last, unfinished fragment (< 1 s)
