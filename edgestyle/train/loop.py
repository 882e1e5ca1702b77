"""The training loop: alternating D and G updates over unrolled clips, under any tf.distribute strategy.

One code path: the default strategy on one device, ``MirroredStrategy`` on several GPUs (or
logical CPUs), ``MultiWorkerMirroredStrategy`` across machines via ``TF_CONFIG``. Checkpoints
every N steps into ``out/checkpoints`` (a killed run resumes there, losing at most N steps),
TensorBoard scalars and image strips in ``out/logs``, progress with the losses and ETA (a bar on a terminal, a line every 30 s otherwise).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from edgestyle.errors import EdgestyleError, signal_of, user_error
from edgestyle.train import losses, objective
from edgestyle.train.cluster import PEER_ERRORS, any_worker, lost_worker, take_chiefs_values, workers_in
from edgestyle.train.config import TrainConfig
from edgestyle.train.discriminators import (
    build_patch_discriminator,
    build_temporal_discriminator,
    stack_frames,
)
from edgestyle.train.flow import burn_in_order, carried_state, step_flow
from edgestyle.train.generator import build_generator
from edgestyle.train.model_dir import CHECKPOINT_DIR, LOG_DIR
from edgestyle.train.weight_average import WeightAverage

# The loss network when none is given: Magenta's style predictor (a MobileNetV2), shipped beside
# the models for the "any painting" mode.
DEFAULT_LOSS_NET = "style_predict/style_predict_quantized_256.tflite"


def resolve_loss_net(path: str | None) -> str:
    """The loss-network file: ``path``, or the shipped Magenta predictor."""
    if path:
        return path
    from edgestyle.runtime.models import models_dirs

    for folder in models_dirs():
        if (folder / DEFAULT_LOSS_NET).is_file():
            return str(folder / DEFAULT_LOSS_NET)
    raise EdgestyleError(
        f"no loss network: models/{DEFAULT_LOSS_NET} is not installed; pass --loss-net FILE.tflite "
        "(e.g. ../shared/anchors/style_predict_quantized_256.tflite) or --vgg-weights FILE.h5"
    )


STRATEGIES = ("auto", "default", "mirrored", "multiworker")


def make_strategy(
    kind: str = "auto", devices: list[str] | None = None, cluster_timeout: float | None = None
) -> tf.distribute.Strategy:
    """``auto``: multi-worker when ``TF_CONFIG`` is set, mirrored over several GPUs, else the default.

    ``mirrored`` without GPUs mirrors over the logical CPU devices (how the tests exercise it).
    Multi-worker must be made before TensorFlow runs anything, and within ``cluster_timeout`` s
    (see :mod:`edgestyle.train.cluster`).
    """
    if kind not in STRATEGIES:
        raise EdgestyleError(f"unknown distribution strategy {kind!r}; choose one of {', '.join(STRATEGIES)}")
    if kind == "auto":
        if os.environ.get("TF_CONFIG"):
            kind = "multiworker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            kind = "mirrored"
        else:
            kind = "default"
    if kind == "mirrored":
        if devices is None and not tf.config.list_logical_devices("GPU"):
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]  # e.g. split logical CPUs
        return tf.distribute.MirroredStrategy(devices)
    if kind == "multiworker":
        from edgestyle.train.cluster import DEFAULT_TIMEOUT, multi_worker_strategy

        return multi_worker_strategy(cluster_timeout or DEFAULT_TIMEOUT)
    return tf.distribute.get_strategy()


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Keras layers built inside compute in ``name`` (``mixed_bfloat16``: bfloat16 maths on float32
    variables, so checkpoints and saved weights do not depend on it)."""
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Only one worker writes checkpoints, logs and the model directory: the ``chief`` task when
    TF_CONFIG has one, else worker 0 (TensorFlow's own rule), and the one process of the others."""
    return bool(strategy.extended.should_checkpoint)


def build_extractor(config: TrainConfig):
    """The perceptual loss network the config asks for (VGG16 when ``vgg_weights`` is set)."""
    from edgestyle.train.perceptual import tflite_extractor, vgg_extractor

    if config.objective.vgg_weights:
        return vgg_extractor(
            None if config.objective.vgg_weights == "random" else config.objective.vgg_weights
        )
    return tflite_extractor(resolve_loss_net(config.objective.loss_net))


def check_loss_network(config: TrainConfig) -> None:
    """Load the loss network once so a bad file fails before data loading, with one clear line."""
    if not config.objective.vgg_weights:
        from edgestyle.train.lossnet import load_feature_network

        load_feature_network(resolve_loss_net(config.objective.loss_net))


class Trainer:
    """Owns the generator, both discriminators, the style table, optimizers and checkpoints."""

    def __init__(
        self,
        config: TrainConfig,
        style_names: list[str],
        initial_vectors: np.ndarray | None,
        out_dir: str | os.PathLike,
        strategy: tf.distribute.Strategy | None = None,
        style_images: dict[int, list[np.ndarray]] | None = None,
    ):
        self.config = config
        self.style_names = list(style_names)
        self.out_dir = Path(out_dir)
        self.strategy = strategy or tf.distribute.get_strategy()
        self.chief = is_chief(self.strategy)
        gc = config.model
        keras.utils.set_random_seed(config.schedule.seed)
        with self.strategy.scope():
            with dtype_policy(config.runtime.precision):
                self.generator = build_generator(gc)
                self.patch_d = build_patch_discriminator(config.objective.d_channels)
                self.temporal_d = build_temporal_discriminator(
                    config.data.clip_len, config.objective.d_channels
                )
            self.style_table = None
            if gc.style_dim and not config.data.style_codes:
                init = (
                    initial_vectors
                    if initial_vectors is not None
                    else np.zeros((len(style_names), gc.style_dim))
                )
                self.style_table = keras.layers.Embedding(
                    len(style_names),
                    gc.style_dim,
                    embeddings_initializer=keras.initializers.Constant(np.asarray(init, np.float32)),
                    name="style_vectors",
                )
                self.style_table.build((None,))
            self.opt_g = keras.optimizers.Adam(config.optimizer.lr_g, beta_1=0.5, beta_2=0.99)
            self.opt_d = keras.optimizers.Adam(config.optimizer.lr_d, beta_1=0.5, beta_2=0.99)
            self.g_vars = list(self.generator.trainable_variables)
            if self.style_table is not None:
                self.g_vars += list(self.style_table.trainable_variables)
            # Only discriminators whose G term is on are trained (and get optimizer slots).
            w = config.objective.weights
            self.d_vars = list(self.patch_d.trainable_variables) if w.gan else []
            self.d_vars += list(self.temporal_d.trainable_variables) if w.temporal_gan else []
            self.opt_g.build(self.g_vars)
            if self.d_vars:
                self.opt_d.build(self.d_vars)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            self.average = WeightAverage(self.g_vars, config.schedule.ema) if config.schedule.ema else None
        self._setup_perceptual(style_images or {})
        self.terms = objective.active_terms(self)
        self.checkpoint = tf.train.Checkpoint(**self._checkpoint_parts())
        ckpt_dir = self.out_dir / CHECKPOINT_DIR
        if not self.chief:  # every worker saves, as TensorFlow asks: the others into scratch, removed after
            import tempfile

            ckpt_dir = Path(tempfile.mkdtemp(prefix="edgestyle-worker-"))
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(ckpt_dir), max_to_keep=2)
        self._train_step = None
        self.stop_signal: int | None = None  # SIGINT/SIGTERM when fit() was interrupted

    def _checkpoint_parts(self, with_average: bool = True) -> dict[str, Any]:
        parts = dict(
            generator=self.generator,
            patch_d=self.patch_d,
            temporal_d=self.temporal_d,
            opt_g=self.opt_g,
            opt_d=self.opt_d,
            step=self.step,
        )
        if self.style_table is not None:
            parts["style_table"] = self.style_table
        if self.average is not None and with_average:
            parts["generator_ema"] = self.average
        return parts

    # -- perceptual losses -------------------------------------------------------------------
    def _setup_perceptual(self, style_images: dict[int, list[np.ndarray]]) -> None:
        """Loss network and per-style targets, only when some style has a style image."""
        self.perceptual = None
        if not style_images:
            return
        from edgestyle.train.perceptual import PerceptualLoss

        images = [style_images.get(i) for i in range(len(self.style_names))]
        c = self.config
        self.perceptual = PerceptualLoss(
            build_extractor(c),
            images,
            c.objective.style_size,
            c.objective.style_statistic,
            c.schedule.seed,
            patch_term=bool(c.objective.weights.patches),
        )

    # -- one step ----------------------------------------------------------------------------
    def style_input(self, batch: dict[str, tf.Tensor]) -> tf.Tensor | None:
        """The generator's style input for a batch: each clip's style code (code-conditioned
        models), its learned style vector, or None (a single baked-in style)."""
        if self.config.data.style_codes:
            return batch["code"]
        return self.style_table(batch["style"]) if self.style_table is not None else None

    def unroll(
        self,
        frames: tf.Tensor,
        style: tf.Tensor | None,
        training: bool = True,
        flows: tf.Tensor | None = None,
    ) -> tf.Tensor:
        """Run the generator frame by frame over clips [B,T,H,W,3] -> [B,T,H,W,3], from zero state
        or from the state that ``data.burn_in`` frames of the same clip leave (no gradient through it).

        ``flows`` [B,T-1,H,W,2] (each frame's backward flow to the one before): with
        ``model.warp_state`` the state is carried along it between frames, as the runtime does."""
        gc = self.config.model
        shape = tf.shape(frames)
        state_shape = tf.stack([shape[0], shape[2] // gc.stride, shape[3] // gc.stride, gc.trunk_channels])
        inputs: dict[str, Any] = {key: tf.zeros(state_shape) for key, _ in gc.state_names()}
        if style is not None:
            inputs["style"] = style
        carry = flows if gc.warp_state else None
        previous = None
        for t in burn_in_order(frames.shape[1], self.config.data.burn_in):  # ends beside frame 0
            inputs = self._frame_step(inputs, frames, t, previous, carry, training, keep=False)[0]
            previous = t
        outs = []
        for t in range(frames.shape[1]):
            inputs, out = self._frame_step(inputs, frames, t, previous, carry, training, keep=True)
            outs.append(out)
            previous = t
        return tf.stack(outs, axis=1)

    def _frame_step(
        self,
        inputs: dict[str, Any],
        frames: tf.Tensor,
        t: int,
        previous: int | None,
        flows: tf.Tensor | None,
        training: bool,
        keep: bool,
    ) -> tuple[dict[str, Any], tf.Tensor]:
        """One generator call on frame ``t`` after frame ``previous`` -> (next inputs, output);
        ``keep=False`` (a burn-in step) lets no gradient through the state it leaves."""
        gc = self.config.model
        if flows is not None and previous is not None and previous != t:
            motion = step_flow(flows, previous, t)
            inputs.update({key: carried_state(inputs[key], motion, gc.stride) for key, _ in gc.state_names()})
        result = self.generator({**inputs, "frame": frames[:, t]}, training=training)
        for key_in, key_out in gc.state_names():
            state = tf.cast(result[key_out], tf.float32)
            inputs[key_in] = state if keep else tf.stop_gradient(state)
        # float32 out of a mixed-precision generator too: the losses and the next step's inputs
        return inputs, tf.cast(result["stylized"], tf.float32)

    def float_generator(self) -> keras.Model:
        """The generator as saved and converted: float32 compute. A mixed-precision run rebuilds
        it with the same float32 weights, so its model folder records no bfloat16 layers."""
        if self.config.runtime.precision == "float32":
            return self.generator
        with dtype_policy("float32"):
            model = build_generator(self.config.model)
        model.set_weights(self.generator.get_weights())
        return model

    def _replica_step(self, batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """One G update over the objective's active terms, then one D update if a GAN term is on."""
        c = self.config
        replicas = float(self.strategy.num_replicas_in_sync)
        frames = batch["frames"]
        noisy = tf.clip_by_value(frames + tf.random.normal(tf.shape(frames), stddev=c.data.noise), 0.0, 1.0)
        with tf.GradientTape() as tape:
            style = self.style_input(batch)
            out = self.unroll(noisy, style, flows=batch["flows"])
            ctx = objective.StepContext(self, batch, frames, noisy, out, style)
            terms = objective.evaluate(ctx, self.terms)
            g_total = objective.weighted_total(terms, c.objective.weights, self.stability_scale())
            scaled = g_total / replicas
        self.opt_g.apply_gradients(zip(tape.gradient(scaled, self.g_vars), self.g_vars, strict=True))
        d_terms = self._discriminator_step(ctx) if self.d_vars else {}
        return {"g_total": g_total, **terms, **d_terms}

    def stability_scale(self) -> tf.Tensor:
        """The schedule's factor on the stability terms: ``stability_floor`` at step 0, rising
        linearly to 1 at ``stability_ramp`` steps (1 throughout when the ramp is 0)."""
        c = self.config
        if not c.schedule.stability_ramp:
            return tf.constant(1.0)
        progress = tf.minimum(1.0, tf.cast(self.step, tf.float32) / float(c.schedule.stability_ramp))
        return c.schedule.stability_floor + (1.0 - c.schedule.stability_floor) * progress

    def _discriminator_step(self, ctx: objective.StepContext) -> dict[str, tf.Tensor]:
        """Update the discriminators whose G term is active: real = the clip's targets."""
        batch, replicas = ctx.batch, float(self.strategy.num_replicas_in_sync)
        targets, fake = batch["targets"], tf.stop_gradient(ctx.out)
        values: dict[str, tf.Tensor] = {}
        with tf.GradientTape() as tape:
            if self.config.objective.weights.gan:
                values["d_spatial"] = losses.d_loss(
                    self.patch_d(ctx.first_and_last(targets), training=True),
                    self.patch_d(ctx.first_and_last(fake), training=True),
                )
            if self.config.objective.weights.temporal_gan:
                t_real = losses.g_loss(self.temporal_d(stack_frames(targets), training=True), batch["stable"])
                t_fake = tf.reduce_mean(tf.nn.softplus(self.temporal_d(stack_frames(fake), training=True)))
                values["d_temporal"] = t_real + t_fake
            d_scaled = tf.add_n(list(values.values())) / replicas
        self.opt_d.apply_gradients(zip(tape.gradient(d_scaled, self.d_vars), self.d_vars, strict=True))
        return values

    def train_step(self, dist_batch) -> dict[str, float]:
        if self._train_step is None:

            @tf.function(jit_compile=self.config.runtime.jit or None)
            def step(batch):
                per_replica = self.strategy.run(self._replica_step, args=(batch,))
                if self.average is not None:
                    self.average.update(self.step)
                return {
                    k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                    for k, v in per_replica.items()
                }

            self._train_step = step
        result = self._train_step(dist_batch)
        self.step.assign_add(1)
        return {k: float(v) for k, v in result.items()}

    # -- checkpoints -------------------------------------------------------------------------
    def restore(self, restart_temporal_d: bool = False) -> int:
        """Resume from the newest checkpoint in ``out/checkpoints``; returns the step (0 if none).

        A truncated or corrupt checkpoint (TensorFlow: DataLossError "not an sstable") is one
        error that names it and says how to start over, not a traceback. Only the chief reads
        it; the other workers take the chief's values, so they need no copy of its files.
        ``restart_temporal_d``: the run goes on with another clip length, so the temporal
        discriminator keeps its fresh values, and so does the patch discriminator: both are
        reached in the checkpoint only through their shared optimizer, which is left out.
        """
        latest = self.manager.latest_checkpoint
        if latest:
            try:
                self._restore_from(latest, restart_temporal_d)
            except (tf.errors.OpError, ValueError, AssertionError) as exc:
                cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise EdgestyleError(
                    f"cannot resume from the checkpoint {latest} ({type(exc).__name__}: {cause}); "
                    f"start over with --fresh (deletes {self.manager.directory}) or use another --out"
                ) from None
        if workers_in(self.strategy) > 1:
            take_chiefs_values(self.strategy, self.state_variables(), self.chief)
        return int(self.step.numpy())

    def _restore_from(self, latest: str, restart_temporal_d: bool = False) -> None:
        """Restore every part; a checkpoint from a run without the weight average (switched on
        when resuming) restores the rest and starts the average at the restored weights."""
        has_average = self.average is None or any(
            name.startswith("generator_ema/") for name, _ in tf.train.list_variables(latest)
        )
        if has_average and not restart_temporal_d:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
            return
        parts = self._checkpoint_parts(with_average=has_average)
        if restart_temporal_d:
            del parts["temporal_d"], parts["opt_d"]
        tf.train.Checkpoint(**parts).restore(latest).assert_existing_objects_matched()
        if not has_average:
            self.average.reset()

    def averaged(self) -> contextlib.AbstractContextManager:
        """Inside the block the generator and style table hold the weights to save: the moving
        average when ``schedule.ema`` is on, else the live weights."""
        return self.average.applied() if self.average is not None else contextlib.nullcontext()

    def save_checkpoint(self) -> None:
        """Save one checkpoint; a full or read-only disk is one error (the previous checkpoints stay)."""
        try:
            self.manager.save(checkpoint_number=int(self.step.numpy()))
        except (tf.errors.OpError, OSError) as exc:
            problem = user_error(exc)
            cause = str(problem) if problem is not None else str(exc).strip().splitlines()[0]
            raise EdgestyleError(f"cannot save a checkpoint in {self.manager.directory}: {cause}") from None

    def state_variables(self) -> list:
        """Every variable a checkpoint saves: weights, optimizer slots, the step."""
        variables = [*self.generator.weights, *self.patch_d.weights, *self.temporal_d.weights]
        variables += [*self.opt_g.variables, *self.opt_d.variables, self.step]
        if self.style_table is not None:
            variables += list(self.style_table.weights)
        if self.average is not None:
            variables += list(self.average.shadow)
        return variables

    def checkpoint_bytes(self) -> int:
        """The size of one checkpoint: every variable it saves."""
        return sum(
            int(np.prod(v.shape)) * np.dtype(getattr(v.dtype, "as_numpy_dtype", v.dtype)).itemsize
            for v in self.state_variables()
        )

    def style_vectors(self) -> dict[str, list[float]] | None:
        if self.style_table is None:
            return None
        table = np.asarray(self.style_table.embeddings.numpy())
        return {name: table[i].tolist() for i, name in enumerate(self.style_names)}

    # -- the loop ----------------------------------------------------------------------------
    def fit(
        self,
        dataset_fn: Callable[[tf.distribute.InputContext], tf.data.Dataset],
        on_step: Callable[[int, dict[str, float]], None] | None = None,
        progress: bool = True,
    ) -> dict[str, Any]:
        """Train until ``max_steps`` or the time budget; Ctrl-C/SIGTERM stop cleanly with a checkpoint.

        Returns a summary: start/end step, why it stopped, the last losses, seconds, steps/s.
        """
        from edgestyle.console import Progress

        c = self.config
        start = int(self.step.numpy())
        iterator = iter(self.strategy.distribute_datasets_from_function(dataset_fn))
        writer = (
            tf.summary.create_file_writer(str(self.out_dir / LOG_DIR))
            if self.chief
            else tf.summary.create_noop_writer()
        )
        t0 = time.monotonic()
        last: dict[str, float] = {}
        history: list[dict[str, float]] = []
        reason = "max_steps"
        bar = Progress(
            "train", c.schedule.max_steps, "steps", every=30.0, initial=start, enabled=progress
        ).__enter__()
        saved_at = start
        try:
            while int(self.step.numpy()) < c.schedule.max_steps:
                batch = next(iterator)
                last = self.train_step(batch)
                step = int(self.step.numpy())
                history.append(last)
                if self._record_step(step, last, batch, writer, bar):
                    saved_at = step
                if on_step:
                    on_step(step, last)
                if c.schedule.time_budget and self._budget_spent(t0):
                    reason = "time_budget"
                    break
        except KeyboardInterrupt as exc:
            reason = "interrupted"
            self.stop_signal = signal_of(exc)
        except PEER_ERRORS as exc:  # another worker died: the all-reduce was aborted
            if workers_in(self.strategy) == 1:
                raise
            self._drop_scratch()
            raise lost_worker(exc, saved_at, self.out_dir / CHECKPOINT_DIR) from None
        finally:
            bar.close()
        if int(self.step.numpy()) != saved_at:
            self.save_checkpoint()
        writer.flush()
        del iterator  # stop the generator threads before the interpreter shuts down
        self._drop_scratch()
        return self._summary(start, reason, time.monotonic() - t0, last, history)

    def _drop_scratch(self) -> None:
        """A non-chief worker's checkpoints were only saved because TensorFlow asks every worker to."""
        if not self.chief:
            import shutil

            shutil.rmtree(self.manager.directory, ignore_errors=True)

    def _budget_spent(self, t0: float) -> bool:
        """The time budget is spent here, or on any other worker: all stop after the same step."""
        spent = time.monotonic() - t0 >= self.config.schedule.time_budget
        return any_worker(self.strategy, spent) if workers_in(self.strategy) > 1 else spent

    def _record_step(self, step: int, losses: dict[str, float], batch, writer, bar) -> bool:
        """Progress bar, TensorBoard scalars and images, periodic checkpoint; True if it saved one."""
        c = self.config
        bar.update(1)
        bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items() if k != "g_total"})
        if step % c.schedule.log_every == 0 or step == 1:
            with writer.as_default(step=step):
                for k, v in losses.items():
                    tf.summary.scalar(f"loss/{k}", v)
        if c.schedule.image_every and step % c.schedule.image_every == 0:
            self._log_images(writer, batch, step)
        if step % c.schedule.checkpoint_every == 0:
            self.save_checkpoint()
            return True
        return False

    def _summary(
        self, start: int, reason: str, seconds: float, last: dict[str, float], history: list[dict[str, float]]
    ) -> dict[str, Any]:
        steps = int(self.step.numpy()) - start
        return {
            "start_step": start,
            "end_step": int(self.step.numpy()),
            "stopped_by": reason,
            "signal": self.stop_signal,
            "seconds": round(seconds, 1),
            "steps_per_second": round(steps / seconds, 3) if seconds > 0 else None,
            "final_losses": {k: round(v, 5) for k, v in last.items()},
            "history": history,
        }

    def _log_images(self, writer, dist_batch, step: int) -> None:
        """An input | target | output strip of the first clip of this replica's batch."""
        batch = {k: self.strategy.experimental_local_results(v)[0] for k, v in dist_batch.items()}
        first = {k: v[:1] for k, v in batch.items()}
        out = self.unroll(first["frames"], self.style_input(first), training=False, flows=first["flows"])
        strip = tf.concat([batch["frames"][0], batch["targets"][0], out[0]], axis=2)  # T rows of 3 panels
        with writer.as_default(step=step):
            tf.summary.image("clip/input_target_output", strip, max_outputs=self.config.data.clip_len)
