"""Training configuration: six sections (data, model, objective, optimizer, schedule, runtime).

``--config FILE`` gives the base, then ``--set section.key=value`` overrides single fields, e.g.
``--set objective.weights.temporal=6 --set model.cell=lstm``; the CLI's dedicated flags are
sugar for such lines. Configs from before the sections (flat keys, ``generator.*``,
``weights.*``) are read through :func:`modern_key`, so old model folders and scripts still work.
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
    # sliced Wasserstein distance between each frame's colours and 5x5 patches and its teacher frame's
    # (styles with a teacher and no style image): a filter's crisp bands and lines, not their blur
    paired: float = 0.0
    shift: float = 0.0  # outputs of a shifted, re-noised copy of the clip must agree where they overlap
    temporal: float = 4.0  # |O_t - warp(O_{t-1})| under the occlusion mask: this is what kills flicker
    # (4 rather than 2: the default model's int8 warping error fell from 2.3x to 1.4x the input's)
    gan: float = 0.01  # conditional PatchGAN D(y | x)
    temporal_gan: float = 0.01  # D over consecutive frames stacked on channels
    tv: float = 0.02  # total variation
    content: float = 1.0  # loss-network content (styles with a style image)
    style: float = 5.0  # loss-network Gram statistics (styles with a style image)
    colour: float = 0.0  # sliced Wasserstein distance to the style image's palette
    # sliced Wasserstein distance between small pixel patches (mean removed: strokes, not colour) of
    # the output and of the style image at three scales (GPDM, Elnekave & Weiss 2022): the painting's
    # flat areas and brush marks at the pixel scale, which the loss network's taps (1/2-1/16) miss
    patches: float = 0.0
    # |G(clip + fresh camera-like noise) - G(clip)|: no strokes grown out of sensor noise (MCCNet)
    noise: float = 0.0
    # |G(warp(clip) + noise) - warp(G(clip))| under a smooth random flow (ReReVST's compound term)
    flow: float = 0.0


@dataclass
class DataConfig:
    """What the model sees: clips cut from the photos and videos, and the styles' pictures."""

    clip_len: int = 4  # frames per training clip (the recurrent cell is unrolled over them)
    crop: int = 128  # training crop size (multiple of the stride)
    batch: int = 4  # clips per step, over all replicas
    max_side: int = 512  # working resolution of the training images
    fps: float | None = None  # resample videos to this frame rate
    video_fraction: float = 0.3  # share of clips taken from real videos/sequences
    min_zoom: float = 0.4
    # The random camera move that turns a still into a clip, per frame: shift (px, each axis), zoom
    # (relative scale change) and rotation (degrees). A forward move on video expands the near
    # ground faster than 0.02 (Sintel's near snow at 384 px: divergence 0.04 median, 0.10 at p90).
    motion_shift: float = 4.0
    motion_zoom: float = 0.02
    motion_rotate: float = 1.0
    noise: float = 0.01  # per-frame sensor noise on the inputs (std, 0-1 scale): teaches stability
    # > 0: every unroll first runs this many frames of the clip back and forth without gradients,
    # so the trained frames start from a state that has seen frames, as on a screen after the first
    # (a model trained from zero state only loses texture over its first frames on video)
    burn_in: int = 0
    # Condition on style codes (the style predictor's bottleneck of a view of each style's
    # picture, see runtime/style_code.py) instead of a learned vector per style name.
    style_codes: bool = False
    style_views: int = 32  # random crops/scales per style picture whose codes training draws from
    predictor: str | None = None  # style predictor .tflite for the codes (None: the shipped one)
    style_variants: int = 0  # palette-shifted copies of each painting, trained as extra styles
    # How often each style is drawn, relative to 1 for the unnamed ones: "cartoon=3" gives the
    # one style every painting pulls away from (through the shared decoder) three times the clips
    style_mix: str = ""
    # > 0: a style with a teacher but no picture gets perceptual terms against this many of its
    # teacher's outputs (the cartoon filter's flat regions and outlines, not only its pixels)
    teacher_pictures: int = 0


@dataclass
class ObjectiveConfig:
    """The loss: a weight per term (``weights``) and the settings of the terms that have some."""

    weights: LossWeights = field(default_factory=LossWeights)
    # strength range (std, 0-1 scale) of the fresh noise in the noise and flow terms, drawn per clip
    pair_noise_min: float = 0.005
    pair_noise_max: float = 0.03
    flow_sigma: float = 3.0  # px: std of the flow term's random vectors (one per 64 px, smooth between)
    flow_shift: float = 8.0  # px: the flow term's largest global shift
    # Perceptual loss network: a TFLite feature model (None: the Magenta style predictor shipped in
    # models/), or VGG16 when ``vgg_weights`` is set ("imagenet" downloads, a file is offline).
    loss_net: str | None = None
    vgg_weights: str | None = None
    style_size: int = 384  # style images are scaled to this short side for their statistics
    style_statistic: str = "swd"  # "swd" (sliced Wasserstein of loss-network features) or "gram"
    perceptual_frames: int = 2  # frames per clip that get the perceptual losses (first and last)
    d_channels: int = 32  # width of both discriminators (the gan and temporal_gan terms)


@dataclass
class OptimizerConfig:
    lr_g: float = 2e-3
    lr_d: float = 2e-4


@dataclass
class ScheduleConfig:
    """How long, how often, and how the stability weights grow with the run."""

    max_steps: int = 2000
    time_budget: float | None = None  # seconds; stop (and save) when spent
    # Stability terms (temporal, shift, noise, flow) start at ``stability_floor`` x their weight
    # and reach it after ``stability_ramp`` steps (0: full weight from the start)
    stability_ramp: int = 0
    stability_floor: float = 1.0
    # > 0: keep an exponential moving average of the generator's weights with this decay (e.g.
    # 0.999, about the last 1,000 steps) and save it as the model: strokes stop wobbling between
    # steps (see train/weight_average.py). 0: the model is the last step's weights
    ema: float = 0.0
    checkpoint_every: int = 200
    log_every: int = 10
    image_every: int = 200
    seed: int = 0


@dataclass
class RuntimeConfig:
    """How the step runs on this machine (the strategy itself: ``--strategy`` and ``TF_CONFIG``)."""

    workers: int = 2  # parallel clip generators in the tf.data pipeline
    jit: bool = False  # compile the training step with XLA (measure: benchmarks/bench_train.py)
    # "mixed_bfloat16": the generator and discriminators compute in bfloat16 (weights, losses and
    # saved models stay float32); for bfloat16 hardware: the recipe ran 0.86x on the 2-core dev CPU
    precision: str = "float32"


PRECISIONS = ("float32", "mixed_bfloat16")

SECTIONS = {
    "data": DataConfig,
    "model": GeneratorConfig,
    "objective": ObjectiveConfig,
    "optimizer": OptimizerConfig,
    "schedule": ScheduleConfig,
    "runtime": RuntimeConfig,
}


@dataclass
class TrainConfig:
    """The whole training setup in six sections; ``--set section.key=value`` changes one field."""

    data: DataConfig = field(default_factory=DataConfig)
    model: GeneratorConfig = field(default_factory=GeneratorConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)

    def validate(self) -> None:
        """Every rule on the config, in one place (one ``error:`` line listing what is wrong)."""
        try:
            self.model.__post_init__()
        except ValueError as exc:
            raise EdgestyleError(f"model config: {exc}") from None
        d, o, s = self.data, self.objective, self.schedule
        stride = self.model.stride
        problems = []
        if d.crop % stride or d.crop < 4 * stride:
            problems.append(
                f"data.crop {d.crop} must be a multiple of the stride {stride} and at least {4 * stride}"
            )
        if d.clip_len < 2:
            problems.append("data.clip_len must be at least 2 (the temporal loss needs pairs)")
        if not 1 <= d.batch <= 1024 or s.max_steps < 0:
            problems.append("data.batch must be 1 to 1024 and schedule.max_steps >= 0")
        if d.burn_in < 0 or d.burn_in > 64:
            problems.append("data.burn_in must be from 0 to 64 frames")
        if not (0 <= d.motion_shift <= 64 and 0 <= d.motion_zoom <= 0.5 and 0 <= d.motion_rotate <= 45):
            problems.append(
                "data.motion_shift must be 0-64 px, data.motion_zoom 0-0.5 and data.motion_rotate 0-45 degrees"
            )
        if d.clip_len > 64 or d.crop > 2048:
            problems.append("data.clip_len must be at most 64 and data.crop at most 2048")
        if s.checkpoint_every < 1 or s.log_every < 1 or s.image_every < 0:
            problems.append(
                "schedule.checkpoint_every and schedule.log_every must be >= 1, schedule.image_every >= 0"
            )
        if not 0 <= o.pair_noise_min <= o.pair_noise_max <= 0.5:
            problems.append("pair noise must satisfy 0 <= pair_noise_min <= pair_noise_max <= 0.5")
        if s.stability_ramp < 0 or not 0 <= s.stability_floor <= 1:
            problems.append("schedule.stability_ramp must be >= 0 and schedule.stability_floor 0 to 1")
        if not 0 <= s.ema < 1:
            problems.append("schedule.ema must be 0 (off) or a decay below 1, e.g. 0.999")
        if s.time_budget is not None and not 0 < s.time_budget < float("inf"):
            problems.append("the time budget must be more than 0 seconds")
        if self.runtime.precision not in PRECISIONS:
            problems.append(f"runtime.precision must be one of {', '.join(PRECISIONS)}")
        if problems:
            raise EdgestyleError("; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Configs before the sections (model folders' config.json, old config files, old --set lines):
# the old name of each field -> its place now. They are read through this map, so old folders load.
LEGACY_PREFIXES = {"generator": "model", "weights": "objective.weights"}
LEGACY_FIELDS = {
    name: f"{section}.{name}"
    for section, kind in SECTIONS.items()
    if kind is not GeneratorConfig
    for name in (f.name for f in fields(kind))
    if name != "weights"
}


def modern_key(dotted: str) -> str:
    """``weights.temporal`` -> ``objective.weights.temporal``, ``clip_len`` -> ``data.clip_len``."""
    head, _, rest = dotted.partition(".")
    if head in LEGACY_PREFIXES:
        return f"{LEGACY_PREFIXES[head]}.{rest}" if rest else LEGACY_PREFIXES[head]
    if not rest and head in LEGACY_FIELDS:
        return LEGACY_FIELDS[head]
    return dotted


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
    """Set ``section.key`` on the config tree (old names are mapped, see :func:`modern_key`);
    an unknown name is one clear error listing what the section has."""
    target: Any = config
    parts = modern_key(dotted).split(".")
    for depth, part in enumerate(parts[:-1]):
        if not is_dataclass(target) or part not in _sections(target):
            where = ".".join(parts[:depth]) or "the config"
            raise EdgestyleError(
                f"unknown config section {part!r} in {dotted!r}; {where} has sections: "
                f"{', '.join(_sections(target)) if is_dataclass(target) else 'none'}"
            )
        target = getattr(target, part)
    key = parts[-1]
    if is_dataclass(target) and key in _sections(target) and type(value) is type(getattr(target, key)):
        setattr(target, key, value)  # a whole section, e.g. model=tiny_config() in tests
        return
    if not is_dataclass(target) or key not in {f.name for f in fields(target)} or key in _sections(target):
        section = ".".join(parts[:-1])
        if not section:
            raise EdgestyleError(
                f"unknown config field {dotted!r}: give section.key, sections: {', '.join(SECTIONS)}"
            )
        keys = [f.name for f in fields(target) if f.name not in _sections(target)]
        more = f" (sections: {', '.join(_sections(target))})" if _sections(target) else ""
        raise EdgestyleError(f"unknown config field {dotted!r}; {section} has: {', '.join(keys)}{more}")
    try:
        setattr(target, key, _coerce(value, getattr(target, key)) if isinstance(value, str) else value)
    except ValueError:
        raise EdgestyleError(f"bad value {value!r} for {dotted}") from None


def _sections(node: Any) -> list[str]:
    """Names of the nested dataclass sections of ``node`` (``data``, ``model``, ``objective.weights``)."""
    return [f.name for f in fields(node) if is_dataclass(getattr(node, f.name))]


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    """A config as written in a model folder or a file, old flat layouts included."""
    config = TrainConfig()
    for key, value in _flatten(data).items():
        set_field(config, key, value)
    return config


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _read_config_file(file: Path) -> dict[str, Any]:
    """A JSON/TOML config, or the config a model folder (or its edgestyle.json) was trained with."""
    if file.is_dir():
        file = file / "edgestyle.json"
    if not file.is_file():
        raise EdgestyleError(f"config file not found: {file}")
    try:
        data = _read_toml(file) if file.suffix == ".toml" else json.loads(file.read_text())
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are both ValueErrors
        raise EdgestyleError(f"{file}: cannot parse ({exc})") from None
    if not isinstance(data, dict):
        raise EdgestyleError(f"{file}: a config is a table of sections, not {type(data).__name__}")
    if "generator" in data and isinstance(data.get("training"), dict):  # a model folder's metadata
        if not isinstance(data["training"].get("config"), dict):
            raise EdgestyleError(f"{file}: this model folder records no training config")
        return data["training"]["config"]
    return data


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        import tomllib  # Python >= 3.11
    except ImportError:
        raise EdgestyleError(f"{file}: TOML configs need Python >= 3.11; use JSON") from None
    return tomllib.loads(file.read_text())


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> TrainConfig:
    """Defaults, then the JSON/TOML file, then ``section.key=value`` overrides; validated.

    This is the one way a config is made from outside: the CLI's dedicated flags are turned into
    ``--set`` lines before it runs.
    """
    config = TrainConfig()
    if path:
        file = Path(path)
        data = _read_config_file(file)
        try:
            config = config_from_dict(data)
        except EdgestyleError as exc:
            raise EdgestyleError(
                f"{file}: {exc} (move it into its section, see docs/training.md, or drop it)"
            ) from None
    for item in overrides or []:
        if "=" not in item:
            raise EdgestyleError(f"override {item!r} must look like section.key=value")
        key, value = item.split("=", 1)
        set_field(config, key.strip(), value.strip())
    config.validate()
    return config
