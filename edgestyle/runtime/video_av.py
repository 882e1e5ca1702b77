"""Video files through PyAV (FFmpeg): H.264 in MP4 that browsers and phones play, audio carried over.

The default backend wherever ``av`` imports (its wheels bundle FFmpeg with libx264). Frames are
BGR uint8 like everywhere else in edgestyle; colour conversion to and from YUV 4:2:0 goes through
OpenCV's SIMD code (about 4x faster than swscale's default path for bgr24), and the stream is
tagged BT.601 limited range to match, so players decode the colours OpenCV encoded.

Audio: the first audio stream of ``audio_from`` is copied packet by packet (no re-encode) when the
output container plays it (AAC, MP3, Opus, ... in MP4), else re-encoded to AAC; its packets are
interleaved with the video as frames are written, so the file streams progressively.
"""

from __future__ import annotations

import errno
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.errors import EdgestyleError, describe_os_error

# Suffix -> (video codec, pixel format). H.264 wherever the container is a web/phone format.
CODEC_BY_SUFFIX = {
    ".mp4": ("libx264", "yuv420p"),
    ".m4v": ("libx264", "yuv420p"),
    ".mov": ("libx264", "yuv420p"),
    ".mkv": ("libx264", "yuv420p"),
    ".avi": ("mjpeg", "yuvj420p"),
}
MOV_FAMILY = (".mp4", ".m4v", ".mov")
# Audio codecs an MP4/MOV file may carry and players decode; anything else becomes AAC.
MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"}
# Fragmented MP4: a moof+mdat pair per keyframe, the index up front, so a killed recording plays
# up to its last complete fragment. Plain MP4 gets its index moved to the front (faststart) on close.
FRAGMENTED_MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
# ITU-R BT.601 matrix, limited ("MPEG") range: what cv2.COLOR_BGR2YUV_I420 produces.
AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG, AVCOL_PRI_BT709, AVCOL_TRC_BT709 = 6, 1, 1, 1
# libx264 at "ultrafast", CRF 23 costs about what OpenCV's mp4v writer costs per frame, at about its
# size and quality (Big Buck Bunny at 1080p: 26 vs 24 ms CPU, 5.1 vs 4.5 MB, 38.3 vs 38.0 dB);
# "veryfast" makes files ~3.5x smaller for ~2.7x the encoding CPU (docs/runtime.md, "Video files").
X264_PRESET = "ultrafast"
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")
X264_CRF = "23"
FF_QP2LAMBDA = 118


def available() -> bool:
    """True when PyAV imports (it bundles FFmpeg, so nothing else is needed)."""
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def _open_input(path: Path):  # -> av.container.InputContainer
    import av

    if not path.exists():
        raise EdgestyleError(f"video not found: {path}")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.ELOOP, errno.EIO):
            raise EdgestyleError(describe_os_error(exc, f"video {path}", action="open")) from None
        raise EdgestyleError(f"cannot open video (unreadable or unsupported format): {path}") from None
    if not container.streams.video:
        container.close()
        raise EdgestyleError(f"cannot open video (no video stream): {path}")
    return container


def _video_stream(container):  # -> av.VideoStream, decoding with FFmpeg's own threads
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return stream


ROTATIONS = (0, 1, 2)  # cv2.ROTATE_90_CLOCKWISE, ROTATE_180, ROTATE_90_COUNTERCLOCKWISE


def _frame_to_bgr(frame) -> np.ndarray:
    """A decoded frame -> BGR uint8, turned upright when the file asks for a rotation."""
    import cv2

    bgr = frame.to_ndarray(format="bgr24")
    # rotation: counter-clockwise degrees of the display matrix (phones record sideways and say so)
    quarter_turns_clockwise = round(-getattr(frame, "rotation", 0) / 90) % 4
    if quarter_turns_clockwise:
        bgr = cv2.rotate(bgr, ROTATIONS[quarter_turns_clockwise - 1])
    return bgr


def read_frames(path: Path) -> Iterator[np.ndarray]:
    """Every frame of a video file as BGR; fails before yielding if the file has no decodable frame,
    and with one error naming the file where a later frame is damaged or the file stops early."""
    import av

    container = _open_input(path)
    stream = _video_stream(container)
    frames = container.decode(stream)
    try:
        first = next(frames, None)
    except (av.FFmpegError, UnicodeDecodeError):
        first = None
    if first is None:
        container.close()
        raise EdgestyleError(f"video has no readable frames: {path}")
    return _rest(container, stream, first, frames, path)


def _rest(container, stream, first, frames, path: Path) -> Iterator[np.ndarray]:
    import av

    count, last = 1, first
    try:
        yield _frame_to_bgr(first)
        while True:
            try:
                frame = next(frames, None)
            except av.FFmpegError as exc:
                raise EdgestyleError(
                    f"cannot decode video {path}: frame {count + 1} is damaged or cut off "
                    f"({_ffmpeg_words(exc)}); {count} frames decoded"
                ) from None
            if frame is None:
                break
            count, last = count + 1, frame
            yield _frame_to_bgr(frame)
        _check_complete(stream, count, last, path)
    finally:
        container.close()


def _ffmpeg_words(exc: Exception) -> str:
    """FFmpeg's own reason, without the errno and the C function PyAV adds."""
    return f"FFmpeg: {getattr(exc, 'strerror', None) or str(exc)}".rstrip(".")


def _check_complete(stream, count: int, last, path: Path) -> None:
    """A stream that ends well before the duration and frame count its header promises was cut off.

    Both must fall short: an edit list may hide a few frames at the start (phone videos), but the
    last frame then still sits at the end of the stream's duration.
    """
    promised = int(stream.frames or 0)
    if not promised or count >= promised or stream.duration is None or last.time is None:
        return
    rate = float(stream.average_rate or stream.guessed_rate or 0) or 30.0
    end = float(stream.duration * stream.time_base) + float((stream.start_time or 0) * stream.time_base)
    if last.time + 2.0 / rate < end:
        raise EdgestyleError(
            f"cannot decode video {path}: it stops after {count} of its {promised} frames "
            f"({last.time:.2f} of {end:.2f} s; truncated?)"
        )


def probe(path: Path) -> tuple[float | None, int, tuple[int, int]]:
    """(fps or None, frame count or 0 if the container does not say, upright (width, height))."""
    container = _open_input(path)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        count = int(stream.frames or 0)
        if not count and rate:  # Matroska/WebM keep no frame count: estimate it as OpenCV does
            if stream.duration is not None:
                count = round(float(stream.duration * stream.time_base * rate))
            elif container.duration:
                count = round(container.duration / 1_000_000 * float(rate))
    finally:
        container.close()
    first = next(read_frames(path))  # the size after rotation, and proof that a frame decodes
    return (float(rate) if rate else None), count, (first.shape[1], first.shape[0])


class AudioCopy:
    """Carry the first audio stream of ``source`` into ``output``, paced by the video written so far.

    ``status`` says what happened: ``copied aac``, ``re-encoded pcm_s16le to aac`` or ``none``.
    """

    def __init__(self, output: Any, source: Path, suffix: str):
        import av

        self.status = "none"
        self._input = self._encoder = None
        try:
            container = av.open(str(source))
        except av.FFmpegError:
            return
        if not container.streams.audio:
            container.close()
            return
        ain = container.streams.audio[0]
        self._input, self._in_stream = container, ain
        video = container.streams.video[0] if container.streams.video else None
        start = video.start_time if video is not None and video.start_time is not None else None
        # The input's first video timestamp becomes time 0 of the output, keeping lips in sync.
        self._offset = float(start * video.time_base) if start is not None else 0.0
        name = ain.codec_context.codec.canonical_name  # 'mp3', not the decoder's 'mp3float'
        playable = MP4_AUDIO if suffix in MOV_FAMILY else output.supported_codecs
        if name in playable and name in output.supported_codecs:
            self._out = output.add_stream_from_template(ain)
            self._encoder = None
            self.status = f"copied {name}"
        else:
            self._out = output.add_stream("aac", rate=ain.codec_context.sample_rate)
            self._out.layout = ain.codec_context.layout
            self._encoder = self._out
            self.status = f"re-encoded {name} to aac"
        self._packets = container.demux(ain)
        self._pending = None  # a packet read ahead that is not due yet

    def until(self, output: Any, seconds: float | None) -> None:
        """Mux the audio that plays before ``seconds`` of output time (None: all that is left).

        Damaged audio in the input ends the copy there (the video goes on); errors writing the
        output propagate.
        """
        import av

        if self._input is None:
            return
        while True:
            try:
                packet = self._pending or next(self._packets, None)
            except av.FFmpegError:
                self.status += " (cut short: the input's audio is damaged)"
                self.close()
                return
            self._pending = None
            if packet is None:
                return
            if packet.dts is None:  # demux's flushing packet
                continue
            shift = round(self._offset / packet.time_base) if self._offset else 0
            if (
                seconds is not None
                and packet.pts is not None
                and float((packet.pts - shift) * packet.time_base) > seconds
            ):
                self._pending = packet
                return
            self._mux(output, packet, shift)

    def _mux(self, output: Any, packet: Any, shift: int) -> None:
        if self._encoder is None:
            if shift:
                packet.pts = packet.pts - shift if packet.pts is not None else None
                packet.dts -= shift
            packet.stream = self._out
            output.mux(packet)
            return
        for frame in self._in_stream.codec_context.decode(packet):
            frame.pts = None  # the encoder counts samples itself
            output.mux(self._encoder.encode(frame))

    def finish(self, output: Any) -> None:
        """Mux the rest and flush a re-encoder."""
        self.until(output, None)
        if self._encoder is not None:
            output.mux(self._encoder.encode(None))
        self.close()

    def close(self) -> None:
        if self._input is not None:
            self._input.close()
            self._input = None


class AvEncoder:
    """Encode BGR frames into ``path`` (the container follows the suffix); raises on write errors.

    ``fragmented`` (MP4/MOV only) writes a fragment per keyframe with a keyframe at least every
    second, so a recording killed with SIGKILL or a power cut plays up to its last second.
    """

    def __init__(
        self,
        path: Path,
        suffix: str,
        fps: float,
        size: tuple[int, int],
        audio_from: Path | None = None,
        fragmented: bool = False,
        preset: str | None = None,
    ):
        import av

        codec, pix_fmt = CODEC_BY_SUFFIX[suffix]
        self.size = size
        mov_family = suffix in MOV_FAMILY
        self.fragmented = fragmented and mov_family
        options = {}
        if mov_family:
            options["movflags"] = FRAGMENTED_MOVFLAGS if self.fragmented else "+faststart"
        if self.fragmented:
            options["flush_packets"] = "1"  # each fragment reaches the file as soon as it is complete
        self._container = av.open(str(path), "w", format=_container_format(suffix), options=options)
        rate = Fraction(fps).limit_denominator(1001)
        options = _codec_options(codec, fps, self.fragmented, preset or X264_PRESET)
        stream = self._container.add_stream(codec, rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], pix_fmt
        ctx = stream.codec_context
        ctx.thread_type = "AUTO"
        ctx.colorspace, ctx.color_range = AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG
        ctx.color_primaries, ctx.color_trc = AVCOL_PRI_BT709, AVCOL_TRC_BT709
        self._stream = stream
        self._yuv = pix_fmt
        self._audio = AudioCopy(self._container, audio_from, suffix) if audio_from else None
        self.audio = self._audio.status if self._audio else "none"
        self._pts = 0
        self._time_base = 1 / rate

    def write(self, frame_bgr: np.ndarray) -> None:
        import av
        import cv2

        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2YUV_I420), format="yuv420p")
        if self._yuv != "yuv420p":
            frame = frame.reformat(format=self._yuv)
        frame.pts = self._pts
        self._pts += 1
        self._container.mux(self._stream.encode(frame))
        if self._audio is not None:
            self._audio.until(self._container, float(self._pts * self._time_base))

    def close(self) -> None:
        """Flush the encoder and the audio, write the index; errors propagate (a full disk shows here)."""
        try:
            self._container.mux(self._stream.encode(None))
            if self._audio is not None:
                self._audio.finish(self._container)
        finally:
            self._release()

    def abort(self) -> None:
        try:
            self._release()
        except Exception:  # noqa: BLE001 - the recording is being thrown away; its errors do not matter
            pass

    def _release(self) -> None:
        if self._audio is not None:
            self._audio.close()
        self._container.close()


def _container_format(suffix: str) -> str:
    return {".m4v": "mp4", ".mkv": "matroska"}.get(suffix, suffix.lstrip("."))


def _codec_options(codec: str, fps: float, fragmented: bool, preset: str) -> dict[str, str]:
    if codec == "mjpeg":  # fixed quantizer 3 (ffmpeg's -q:v 3): a few dB better than its default bitrate
        return {"flags": "+qscale", "global_quality": str(3 * FF_QP2LAMBDA)}
    options = {"preset": preset, "crf": X264_CRF}
    if fragmented:  # a keyframe (so a fragment) at least every second, and no frames held back
        options.update({"g": str(max(1, math.floor(fps))), "tune": "zerolatency"})
    return options
