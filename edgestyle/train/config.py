"""Training configuration: one dataclass tree, loadable from JSON or TOML, overridable from the CLI.

``--config FILE`` gives the base, then ``--set section.key=value`` and the dedicated CLI flags
override single fields, e.g. ``--set weights.temporal=6 --set generator.cell=lstm``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from edgestyle.errors import EdgestyleError
from edgestyle.train.generator import GeneratorConfig


@dataclass
class LossWeights:
    """Which terms apply to a style depends on what it has (see docs/training.md):
    a teacher only -> l1/l2 distillation; a style image -> content, style and colour on the loss
    network, plus ``lowpass`` distillation when it also has a teacher (the teacher's colour layout,
    not its crawling texture). Temporal, shift, GAN and TV terms apply to every style."""

    l1: float = 1.0  # |G(x) - teacher(x)| per frame (distillation; styles without a style image)
    l2: float = 0.0  # (G(x) - teacher(x))^2 per frame: distillation towards the mean (PSNR)
    lowpass: float = 1.0  # |blur(G(x)) - blur(teacher(x))|: styles with a teacher and a style image
    shift: float = 0.0  # outputs of a shifted, re-noised copy of the clip must agree where they overlap
    temporal: float = 4.0  # |O_t - warp(O_{t-1})| under the occlusion mask: this is what kills flicker
    # (4 rather than 2: the default model's int8 warping error fell from 2.3x to 1.4x the input's)
    gan: float = 0.01  # conditional PatchGAN D(y | x)
    temporal_gan: float = 0.01  # D over consecutive frames stacked on channels
    tv: float = 0.02  # total variation
    content: float = 1.0  # loss-network content (styles with a style image)
    style: float = 5.0  # loss-network Gram statistics (styles with a style image)
    colour: float = 0.0  # sliced Wasserstein distance to the style image's palette
    # |G(clip + fresh camera-like noise) - G(clip)|: no strokes grown out of sensor noise (MCCNet)
    noise: float = 0.0
    # |G(warp(clip) + noise) - warp(G(clip))| under a smooth random flow (ReReVST's compound term)
    flow: float = 0.0


@dataclass
class TrainConfig:
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    weights: LossWeights = field(default_factory=LossWeights)
    clip_len: int = 4  # frames per training clip (the recurrent cell is unrolled over them)
    crop: int = 128  # training crop size (multiple of the stride)
    batch: int = 4  # clips per step, over all replicas
    max_steps: int = 2000
    time_budget: float | None = None  # seconds; stop (and save) when spent
    lr_g: float = 2e-3
    lr_d: float = 2e-4
    noise: float = 0.01  # per-frame sensor noise on the inputs (std, 0-1 scale): teaches stability
    # strength range (std, 0-1 scale) of the fresh noise in the noise and flow terms, drawn per clip
    pair_noise_min: float = 0.005
    pair_noise_max: float = 0.03
    flow_sigma: float = 3.0  # px: std of the flow term's random vectors (one per 64 px, smooth between)
    flow_shift: float = 8.0  # px: the flow term's largest global shift
    # Stability terms (temporal, shift, noise, flow) start at ``stability_floor`` x their weight
    # and reach it after ``stability_ramp`` steps (0: full weight from the start)
    stability_ramp: int = 0
    stability_floor: float = 1.0
    seed: int = 0
    workers: int = 2  # parallel clip generators in the tf.data pipeline
    jit: bool = False  # compile the training step with XLA (measure: benchmarks/bench_train.py)
    checkpoint_every: int = 200
    log_every: int = 10
    image_every: int = 200
    max_side: int = 512  # working resolution of the training images
    fps: float | None = None  # resample videos to this frame rate
    video_fraction: float = 0.3  # share of clips taken from real videos/sequences
    min_zoom: float = 0.4
    d_channels: int = 32
    # Perceptual loss network: a TFLite feature model (None: the Magenta style predictor shipped in
    # models/), or VGG16 when ``vgg_weights`` is set ("imagenet" downloads, a file is offline).
    loss_net: str | None = None
    vgg_weights: str | None = None
    style_size: int = 384  # style images are scaled to this short side for their statistics
    style_statistic: str = "swd"  # "swd" (sliced Wasserstein of loss-network features) or "gram"
    # Condition on style codes (the style predictor's bottleneck of a view of each style's
    # picture, see runtime/style_code.py) instead of a learned vector per style name.
    style_codes: bool = False
    style_views: int = 32  # random crops/scales per style picture whose codes training draws from
    predictor: str | None = None  # style predictor .tflite for the codes (None: the shipped one)
    style_variants: int = 0  # palette-shifted copies of each painting, trained as extra styles
    # > 0: a style with a teacher but no picture gets perceptual terms against this many of its
    # teacher's outputs (the cartoon filter's flat regions and outlines, not only its pixels)
    teacher_pictures: int = 0
    perceptual_frames: int = 2  # frames per clip that get the perceptual losses (first and last)

    def __post_init__(self) -> None:
        if isinstance(self.generator, dict):
            self.generator = GeneratorConfig.from_dict(self.generator)
        if isinstance(self.weights, dict):
            self.weights = LossWeights(**self.weights)

    def validate(self) -> None:
        stride = self.generator.stride
        problems = []
        if self.crop % stride or self.crop < 4 * stride:
            problems.append(
                f"crop {self.crop} must be a multiple of the stride {stride} and at least {4 * stride}"
            )
        if self.clip_len < 2:
            problems.append("clip_len must be at least 2 (the temporal loss needs pairs)")
        if not 1 <= self.batch <= 1024 or self.max_steps < 0:
            problems.append("batch must be 1 to 1024 and max_steps >= 0")
        if self.clip_len > 64 or self.crop > 2048:
            problems.append("clip_len must be at most 64 and crop at most 2048")
        if self.checkpoint_every < 1 or self.log_every < 1 or self.image_every < 0:
            problems.append("checkpoint_every and log_every must be >= 1, image_every >= 0")
        if not 0 <= self.pair_noise_min <= self.pair_noise_max <= 0.5:
            problems.append("pair noise must satisfy 0 <= pair_noise_min <= pair_noise_max <= 0.5")
        if self.stability_ramp < 0 or not 0 <= self.stability_floor <= 1:
            problems.append("stability_ramp must be >= 0 and stability_floor 0 to 1")
        if self.time_budget is not None and not 0 < self.time_budget < float("inf"):
            problems.append("the time budget must be more than 0 seconds")
        if problems:
            raise EdgestyleError("; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _coerce(value: str, current: Any) -> Any:
    """A CLI string -> the type of the field it overrides."""
    if isinstance(current, bool):
        return value.lower() in ("1", "true", "yes", "on")
    for kind in (int, float):
        if isinstance(current, kind):
            return kind(value)
    if current is None:
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
        return None if value.lower() in ("none", "null") else value
    return value


def set_field(config: TrainConfig, dotted: str, value: Any) -> None:
    """Set ``section.key`` (or ``key``) on the config tree, with one clear error for unknown names."""
    target: Any = config
    parts = dotted.split(".")
    for depth, part in enumerate(parts[:-1]):
        if not is_dataclass(target) or part not in _sections(target):
            where = ".".join(parts[:depth]) or "the config"
            raise EdgestyleError(
                f"unknown config section {part!r} in {dotted!r}; {where} has sections: "
                f"{', '.join(_sections(target)) if is_dataclass(target) else 'none'}"
            )
        target = getattr(target, part)
    key = parts[-1]
    if not is_dataclass(target) or key not in {f.name for f in fields(target)}:
        section = ".".join(parts[:-1])
        keys = (
            [f.name for f in fields(target) if f.name not in _sections(target)]
            if is_dataclass(target)
            else []
        )
        more = f" (sections: {', '.join(_sections(target))})" if not section and _sections(target) else ""
        raise EdgestyleError(
            f"unknown config field {dotted!r}; {section or 'the top level'} has: {', '.join(keys)}{more}"
        )
    try:
        setattr(target, key, _coerce(value, getattr(target, key)) if isinstance(value, str) else value)
    except ValueError:
        raise EdgestyleError(f"bad value {value!r} for {dotted}") from None


def _sections(node: Any) -> list[str]:
    """Names of the nested dataclass sections of ``node`` (``generator``, ``weights``)."""
    return [f.name for f in fields(node) if is_dataclass(getattr(node, f.name))]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        import tomllib  # Python >= 3.11
    except ImportError:
        raise EdgestyleError(f"{file}: TOML configs need Python >= 3.11; use JSON") from None
    return tomllib.loads(file.read_text())


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> TrainConfig:
    """Defaults, then the JSON/TOML file, then ``key=value`` overrides; validated."""
    config = TrainConfig()
    if path:
        file = Path(path)
        if not file.is_file():
            raise EdgestyleError(f"config file not found: {file}")
        try:
            data = _read_toml(file) if file.suffix == ".toml" else json.loads(file.read_text())
        except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are both ValueErrors
            raise EdgestyleError(f"{file}: cannot parse ({exc})") from None
        for key, value in _flatten(data).items():
            set_field(config, key, value)
    for item in overrides or []:
        if "=" not in item:
            raise EdgestyleError(f"override {item!r} must look like key=value")
        key, value = item.split("=", 1)
        set_field(config, key.strip(), value.strip())
    try:
        config.generator.__post_init__()
    except ValueError as exc:
        raise EdgestyleError(f"generator config: {exc}") from None
    config.validate()
    return config
