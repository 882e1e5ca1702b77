"""How close to the painting teacher can a student get? Ceilings for the model card's fidelity figure.

Issue #7 asks for >= 20 dB PSNR between the student and the Magenta teacher on a real clip. This
script measures what bounds that number, on the first frames of the Sintel clip at 384x384:

1. The teacher against itself (no training, ~1 minute): its output on the next frame, its own
   motion-compensated mean over 9 frames (the best a perfectly stable model could copy), and
   its output after 2x / 4x down-and-up sampling (how much of it is 1-4 px texture).
2. ``--fit-steps N`` (needs the ``train`` extra): feed-forward fits to the teacher on 384x384
   squares cut from ../shared/data/photos at the teacher's own pixel scale, no temporal terms:
   edgestyle's default generator (state zero) against a teacher-sized reference network
   (Johnson et al. layout with instance norm, ~1.7M parameters; far over the latency budget).

    python benchmarks/fidelity_ceiling.py [--shared ../shared] [--fit-steps 1500]

Skips cleanly (exit 0, one line) when ../shared is absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", category=UserWarning)
SIZE = 384
PEAK = 255.0  # PSNR on 0-255 values (float averages and model outputs included)
RESULTS = Path(__file__).resolve().parent / "results"


def motion_compensated_mean(
    gray: list[np.ndarray], outputs: list[np.ndarray], i: int, half: int
) -> np.ndarray:
    """Teacher outputs of frames i-half..i+half warped onto frame i with DIS flow on the inputs."""
    import cv2

    from edgestyle.evaluation.warping import dis_flow

    gx, gy = np.meshgrid(np.arange(SIZE, dtype=np.float32), np.arange(SIZE, dtype=np.float32))
    warped = []
    for j in range(i - half, i + half + 1):
        flow = dis_flow(gray[i], gray[j])
        warped.append(
            cv2.remap(
                outputs[j].astype(np.float32),
                gx + flow[..., 0],
                gy + flow[..., 1],
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT,
            )
        )
    return np.mean(warped, axis=0)


def teacher_ceilings(frames: list[np.ndarray], outputs: list[np.ndarray]) -> list[tuple[str, float]]:
    import cv2

    from edgestyle.evaluation.metrics import psnr

    def down_up(image: np.ndarray, factor: int) -> np.ndarray:
        small = cv2.resize(image, (SIZE // factor, SIZE // factor), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)

    n = len(frames)
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    return [
        (
            "teacher(t) vs teacher(t+1)",
            np.mean([psnr(outputs[i], outputs[i + 1], PEAK) for i in range(n - 1)]),
        ),
        (
            "teacher vs its motion-compensated 9-frame mean",
            np.mean(
                [
                    psnr(motion_compensated_mean(gray, outputs, i, 4), outputs[i], PEAK)
                    for i in range(4, n - 4)
                ]
            ),
        ),
        ("teacher vs itself 2x down-up", np.mean([psnr(down_up(y, 2), y, PEAK) for y in outputs])),
        ("teacher vs itself 4x down-up", np.mean([psnr(down_up(y, 4), y, PEAK) for y in outputs])),
    ]


def photo_squares(photos: Path) -> list[np.ndarray]:
    """384x384 squares at the teacher's own pixel scale: short side 384, left/centre/right."""
    import cv2

    from edgestyle.runtime.images import read_rgb

    out = []
    for f in sorted(p for p in photos.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg")):
        rgb = read_rgb(f)
        h, w = rgb.shape[:2]
        s = SIZE / min(h, w)
        rgb = cv2.resize(
            rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
        )
        h, w = rgb.shape[:2]
        for y, x in {(0, 0), ((h - SIZE) // 2, (w - SIZE) // 2), (h - SIZE, w - SIZE)}:
            out.append(rgb[y : y + SIZE, x : x + SIZE])
    return out


def reference_network():
    """Teacher-sized student: 9x9 conv, 32-64-128 channels, 5 residual blocks, instance norm."""
    import keras
    import tensorflow as tf
    from keras import layers

    from edgestyle.train.layers import Resize

    def norm(t):
        mean, var = tf.nn.moments(t, [1, 2], keepdims=True)
        return (t - mean) * tf.math.rsqrt(var + 1e-5)

    def conv(t, channels, kernel, strides=1, relu=True):
        t = layers.Lambda(norm)(layers.Conv2D(channels, kernel, strides, "same")(t))
        return layers.ReLU()(t) if relu else t

    frame = keras.Input((None, None, 3))
    y = conv(conv(conv(frame, 32, 9), 64, 3, 2), 128, 3, 2)
    for _ in range(5):
        y = layers.Add()([y, conv(conv(y, 128, 3), 128, 3, relu=False)])
    y = conv(Resize(2, "bilinear")(y), 64, 3)
    y = conv(Resize(2, "bilinear")(y), 32, 3)
    return keras.Model(frame, layers.Conv2D(3, 9, padding="same", activation="sigmoid")(y))


def edgestyle_network():
    """The default generator as a feed-forward net: zero state, zero style vector."""
    import keras
    import tensorflow as tf

    from edgestyle.train.generator import GeneratorConfig, build_generator

    config = GeneratorConfig(state_channels=24)
    generator = build_generator(config)

    def state(frame):
        shape = tf.shape(frame)
        return tf.zeros(
            [shape[0], shape[1] // config.stride, shape[2] // config.stride, config.trunk_channels]
        )

    frame = keras.Input((None, None, 3))
    inputs = {
        "frame": frame,
        "style": keras.layers.Lambda(lambda f: tf.zeros([tf.shape(f)[0], config.style_dim]))(frame),
    }
    for key, _ in config.state_names():
        inputs[key] = keras.layers.Lambda(state)(frame)
    return keras.Model(frame, generator(inputs)["stylized"])


def fit(model, xs, ys, steps: int, crop: int = 128, batch: int = 8) -> float:
    import keras

    rng = np.random.default_rng(0)

    def batches():
        while True:
            idx = rng.integers(len(xs), size=batch)
            top, left = rng.integers(0, SIZE - crop + 1, size=2)
            yield (
                xs[idx, top : top + crop, left : left + crop] / 255.0,
                ys[idx, top : top + crop, left : left + crop] / 255.0,
            )

    model.compile(keras.optimizers.Adam(2e-3), loss="mae")
    start = time.perf_counter()
    model.fit(batches(), steps_per_epoch=steps, epochs=1, verbose=0)
    return time.perf_counter() - start


def evaluate(model, xs, ys) -> float:
    from edgestyle.evaluation.metrics import psnr

    out = np.concatenate([model.predict(xs[i : i + 8] / 255.0, verbose=0) for i in range(0, len(xs), 8)])
    return float(np.mean([psnr(o * 255.0, y, PEAK) for o, y in zip(out, ys, strict=True)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for fidelity_ceiling.md")
    parser.add_argument(
        "--fit-steps", type=int, default=0, help="also fit students this many steps (needs TF)"
    )
    args = parser.parse_args()
    clip, anchors = args.shared / "data/video/sintel_mountain_2", args.shared / "anchors"
    style = args.shared / "styles/starry_night_van_gogh.jpg"
    if not (clip.is_dir() and anchors.is_dir() and style.is_file()):
        print(f"skip: {args.shared} has no Sintel clip, anchors or starry style image")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from edgestyle.atomic import write_text_atomic
    from edgestyle.evaluation.machine import describe_machine, machine_info
    from edgestyle.evaluation.runner import load_clip
    from edgestyle.teachers import load_teacher

    lines = [f"Machine: {describe_machine(machine_info())}.", ""]

    def emit(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    teacher = load_teacher(f"magenta:{anchors}", style)
    clip_rgb = [f[..., ::-1] for f in load_clip(clip, None, (SIZE, SIZE)).frames]  # BGR -> RGB
    frames = clip_rgb[: args.frames]
    outputs = [teacher(f) for f in frames]
    emit(f"Teacher against itself, Sintel frames 1-{len(frames)} at {SIZE}x{SIZE}\n")
    emit("| comparison | PSNR |\n|---|---|")
    for name, value in teacher_ceilings(frames, outputs):
        emit(f"| {name} | {value:.2f} dB |")
    if args.fit_steps > 0:
        emit("")
        fit_students(args.shared, teacher, clip_rgb[::5], args.fit_steps, emit)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "fidelity_ceiling.md", "\n".join(lines) + "\n")
    return 0


def fit_students(shared: Path, teacher, clip_frames: list[np.ndarray], steps: int, emit) -> None:
    squares = photo_squares(shared / "data/photos")
    xs = np.stack(squares)
    ys = np.stack([teacher(x) for x in squares])
    held = len(xs) // 10
    clip_x = np.stack(clip_frames)
    clip_y = np.stack([teacher(x) for x in clip_x])
    emit(
        f"Feed-forward fits, L1, {steps} steps of 8 crops of 128 px from {len(xs) - held} "
        f"photo squares (no temporal terms; {held} squares held out)\n"
    )
    emit("| student | params | fit time | train PSNR | held-out photos | Sintel |\n|---|---|---|---|---|---|")
    for name, build in (
        ("edgestyle default generator", edgestyle_network),
        ("teacher-sized reference", reference_network),
    ):
        model = build()
        seconds = fit(model, xs[held:], ys[held:], steps)
        train = evaluate(model, xs[held : held + 40], ys[held : held + 40])
        emit(
            f"| {name} | {model.count_params():,} | {seconds:.0f} s | {train:.2f} dB "
            f"| {evaluate(model, xs[:held], ys[:held]):.2f} dB | {evaluate(model, clip_x, clip_y):.2f} dB |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
