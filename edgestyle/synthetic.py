"""Generated footage: a textured scene under a slow camera pan with moving shapes.

The demo, the tests and the ``test://`` source need video without shipping any, and a pan with
known motion also lets flicker metrics be checked against exact answers.
"""

from __future__ import annotations

import numpy as np


def _background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth colour field with some texture, large enough to pan across."""
    import cv2

    small = rng.integers(0, 256, size=(max(2, height // 40), max(2, width // 40), 3), dtype=np.uint8)
    field = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(0, 40, size=(height, width, 1), dtype=np.uint8)
    return cv2.add(field, np.repeat(noise, 3, axis=2))


def moving_scene(frames: int = 60, width: int = 320, height: int = 240, seed: int = 0) -> list[np.ndarray]:
    """``frames`` BGR uint8 frames: a panning background plus a bouncing disc and square."""
    import cv2

    rng = np.random.default_rng(seed)
    pan = 2  # pixels per frame
    world = _background(width + pan * frames + 1, height, rng)
    colors = [tuple(int(c) for c in rng.integers(0, 256, 3)) for _ in range(2)]
    out = []
    for t in range(frames):
        frame = world[:, t * pan : t * pan + width].copy()
        cx = int(width * (0.2 + 0.6 * abs(np.sin(t / 15.0))))
        cy = int(height * (0.3 + 0.4 * abs(np.cos(t / 11.0))))
        cv2.circle(frame, (cx, cy), max(4, height // 8), colors[0], -1, lineType=cv2.LINE_AA)
        sx = int(width * (0.8 - 0.6 * (t % 40) / 40.0))
        side = max(4, height // 6)
        cv2.rectangle(frame, (sx, height // 6), (sx + side, height // 6 + side), colors[1], -1)
        out.append(frame)
    return out


def abstract_picture(width: int = 384, height: int = 384, seed: int = 0) -> np.ndarray:
    """A BGR composition of bold overlapping shapes and brush-like lines on a warm ground: a
    picture with a palette and strokes of its own, for showing ``--style-image`` without shipping
    a painting."""
    import cv2

    rng = np.random.default_rng(seed)
    palette = [(40, 60, 200), (30, 160, 240), (150, 80, 30), (60, 140, 60), (20, 20, 30), (200, 200, 230)]
    picture = np.full((height, width, 3), (120, 190, 230), np.uint8)
    for _ in range(14):
        colour = palette[int(rng.integers(len(palette)))]
        centre = (int(rng.integers(width)), int(rng.integers(height)))
        if rng.random() < 0.5:
            cv2.circle(picture, centre, int(rng.integers(height // 16, height // 4)), colour, -1, cv2.LINE_AA)
        else:
            corner = (
                centre[0] + int(rng.integers(-width // 3, width // 3)),
                centre[1] + int(rng.integers(-height // 3, height // 3)),
            )
            cv2.rectangle(picture, centre, corner, colour, -1)
    for _ in range(120):  # short dark strokes over everything
        x, y = int(rng.integers(width)), int(rng.integers(height))
        angle = rng.uniform(0, np.pi)
        length = rng.uniform(8, 24)
        end = (int(x + length * np.cos(angle)), int(y + length * np.sin(angle)))
        cv2.line(picture, (x, y), end, palette[int(rng.integers(len(palette)))], 2, cv2.LINE_AA)
    return cv2.GaussianBlur(picture, (3, 3), 0)


def write_clip_with_audio(
    path: str,
    frames: int = 60,
    size: tuple[int, int] = (320, 240),
    fps: int = 30,
    sample_rate: int = 48000,
    audio_codec: str | None = "aac",
    loop: int = 30,
) -> None:
    """An H.264 clip of :func:`moving_scene` with a stereo 440 Hz tone as long as the video (PyAV).

    ``audio_codec=None`` leaves the audio out. Only ``loop`` distinct frames are generated and
    repeated, so a 300-frame 1080p clip needs no gigabytes of memory.
    """
    import av

    scene = moving_scene(min(frames, loop), *size)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "18"})
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        audio = out.add_stream(audio_codec, rate=sample_rate, layout="stereo") if audio_codec else None
        block = audio.codec_context.frame_size or 1024 if audio else 0
        sample = 0
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(scene[i % len(scene)], format="bgr24")
            frame.pts = i
            out.mux(video.encode(frame))
            while audio is not None and sample < (i + 1) * sample_rate // fps:
                n = min(block, frames * sample_rate // fps - sample)
                tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(sample, sample + n) / sample_rate)).astype(
                    np.float32
                )
                chunk = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
                chunk.sample_rate, chunk.pts = sample_rate, sample
                out.mux(audio.encode(chunk))
                sample += n
        out.mux(video.encode(None))
        if audio is not None:
            out.mux(audio.encode(None))
