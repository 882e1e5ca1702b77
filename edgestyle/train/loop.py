"""The training loop: alternating D and G updates over unrolled clips, under any tf.distribute strategy.

One code path: the default strategy on one device, ``MirroredStrategy`` on several GPUs (or
logical CPUs), ``MultiWorkerMirroredStrategy`` across machines via ``TF_CONFIG``. Checkpoints
every N steps into ``out/checkpoints`` (a killed run resumes there, losing at most N steps),
TensorBoard scalars and image strips in ``out/logs``, progress with the losses and ETA (a bar on a terminal, a line every 30 s otherwise).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from edgestyle.errors import EdgestyleError, signal_of, user_error
from edgestyle.train import losses
from edgestyle.train.config import TrainConfig
from edgestyle.train.discriminators import (
    build_patch_discriminator,
    build_temporal_discriminator,
    stack_frames,
)
from edgestyle.train.generator import build_generator
from edgestyle.train.model_dir import CHECKPOINT_DIR, LOG_DIR

STRATEGIES = ("auto", "default", "mirrored", "multiworker")


def make_strategy(kind: str = "auto", devices: list[str] | None = None) -> tf.distribute.Strategy:
    """``auto``: multi-worker when ``TF_CONFIG`` is set, mirrored over several GPUs, else the default.

    ``mirrored`` without GPUs mirrors over the logical CPU devices (how the tests exercise it).
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
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Only one worker writes checkpoints, logs and the model directory."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0)


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
        gc = config.generator
        keras.utils.set_random_seed(config.seed)
        with self.strategy.scope():
            self.generator = build_generator(gc)
            self.patch_d = build_patch_discriminator(config.d_channels)
            self.temporal_d = build_temporal_discriminator(config.clip_len, config.d_channels)
            self.style_table = None
            if gc.style_dim:
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
            self.opt_g = keras.optimizers.Adam(config.lr_g, beta_1=0.5, beta_2=0.99)
            self.opt_d = keras.optimizers.Adam(config.lr_d, beta_1=0.5, beta_2=0.99)
            self.g_vars = list(self.generator.trainable_variables)
            if self.style_table is not None:
                self.g_vars += list(self.style_table.trainable_variables)
            self.d_vars = list(self.patch_d.trainable_variables) + list(self.temporal_d.trainable_variables)
            self.opt_g.build(self.g_vars)
            self.opt_d.build(self.d_vars)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self._setup_perceptual(style_images or {})
        self.checkpoint = tf.train.Checkpoint(
            generator=self.generator,
            patch_d=self.patch_d,
            temporal_d=self.temporal_d,
            opt_g=self.opt_g,
            opt_d=self.opt_d,
            step=self.step,
            **({"style_table": self.style_table} if self.style_table is not None else {}),
        )
        ckpt_dir = self.out_dir / CHECKPOINT_DIR
        if not self.chief:  # other workers must write somewhere, but not over the chief's files
            ckpt_dir = self.out_dir / f".worker-{self.strategy.cluster_resolver.task_id}" / CHECKPOINT_DIR
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(ckpt_dir), max_to_keep=2)
        self._train_step = None
        self.stop_signal: int | None = None  # SIGINT/SIGTERM when fit() was interrupted

    # -- perceptual mode ---------------------------------------------------------------------
    def _setup_perceptual(self, style_images: dict[int, list[np.ndarray]]) -> None:
        """VGG features and per-style Gram targets, only when some style trains without a teacher."""
        self.vgg = None
        if not style_images:
            return
        from edgestyle.train.vgg import STYLE_LAYERS, build_vgg_features

        self.vgg = build_vgg_features(self.config.vgg_weights)
        grams: dict[str, list[np.ndarray]] = {layer: [] for layer in STYLE_LAYERS}
        for index in range(len(self.style_names)):
            images = style_images.get(index)
            for layer in STYLE_LAYERS:
                if images:
                    g = [
                        losses.gram(self.vgg(tf.constant(im[None], tf.float32) / 255.0)[layer])
                        for im in images
                    ]
                    grams[layer].append(tf.reduce_mean(tf.concat(g, 0), 0).numpy())
                else:
                    grams[layer].append(None)
        self.gram_targets = {}
        for layer, items in grams.items():
            shape = next(g.shape for g in items if g is not None)
            self.gram_targets[layer] = tf.constant(
                np.stack([g if g is not None else np.zeros(shape) for g in items]), tf.float32
            )

    def _perceptual(self, frames_last, out_last, style_index, weights) -> tuple[tf.Tensor, tf.Tensor]:
        from edgestyle.train.vgg import CONTENT_LAYER, STYLE_LAYERS

        out_f = self.vgg(out_last)
        in_f = self.vgg(frames_last)
        c_err = tf.reduce_mean(tf.square(out_f[CONTENT_LAYER] - in_f[CONTENT_LAYER]), axis=[1, 2, 3])
        c_norm = tf.reduce_mean(tf.square(in_f[CONTENT_LAYER]), axis=[1, 2, 3]) + 1e-6
        content = losses._weighted_mean(c_err / c_norm, weights)
        style = 0.0
        for layer in STYLE_LAYERS:
            target = tf.gather(self.gram_targets[layer], style_index)
            err = tf.reduce_mean(tf.square(losses.gram(out_f[layer]) - target), axis=[1, 2])
            norm = tf.reduce_mean(tf.square(target), axis=[1, 2]) + 1e-6
            style += losses._weighted_mean(err / norm, weights)
        return content, style / len(STYLE_LAYERS)

    # -- one step ----------------------------------------------------------------------------
    def unroll(self, frames: tf.Tensor, style_index: tf.Tensor, training: bool = True) -> tf.Tensor:
        """Run the generator frame by frame over clips [B,T,H,W,3] from zero state -> [B,T,H,W,3]."""
        gc = self.config.generator
        shape = tf.shape(frames)
        state_shape = tf.stack([shape[0], shape[2] // gc.stride, shape[3] // gc.stride, gc.trunk_channels])
        states = {key: tf.zeros(state_shape) for key, _ in gc.state_names()}
        inputs: dict[str, Any] = dict(states)
        if self.style_table is not None:
            inputs["style"] = self.style_table(style_index)
        outs = []
        for t in range(frames.shape[1]):
            result = self.generator({**inputs, "frame": frames[:, t]}, training=training)
            outs.append(result["stylized"])
            inputs.update({key_in: result[key_out] for key_in, key_out in gc.state_names()})
        return tf.stack(outs, axis=1)

    def _replica_step(self, batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        c, w = self.config, self.config.weights
        replicas = float(self.strategy.num_replicas_in_sync)
        frames, targets = batch["frames"], batch["targets"]
        has_target, stable = batch["has_target"], batch["stable"]
        noisy = tf.clip_by_value(frames + tf.random.normal(tf.shape(frames), stddev=c.noise), 0.0, 1.0)
        last = c.clip_len - 1

        def pairs(clip):  # the first and last frame of every clip, with their inputs, for D(y | x)
            x = tf.concat([frames[:, 0], frames[:, last]], 0)
            y = tf.concat([clip[:, 0], clip[:, last]], 0)
            return tf.concat([x, y], -1)

        pair_weights = tf.concat([tf.ones_like(stable), tf.ones_like(stable)], 0)
        with tf.GradientTape() as tape:
            out = self.unroll(noisy, batch["style"])
            terms = {
                "l1": losses.l1(out, targets, has_target),
                "l2": losses.l2(out, targets, has_target),
                "temporal": losses.temporal_loss(out, batch["flows"], batch["masks"]),
                "tv": losses.tv_loss(tf.reshape(out, [-1, c.crop, c.crop, 3])),
                "gan": losses.g_loss(self.patch_d(pairs(out), training=True), pair_weights),
                "temporal_gan": losses.g_loss(self.temporal_d(stack_frames(out), training=True)),
            }
            if self.vgg is not None:
                terms["content"], terms["style"] = self._perceptual(
                    frames[:, last], out[:, last], batch["style"], 1.0 - has_target
                )
            g_total = tf.add_n([getattr(w, k) * v for k, v in terms.items()])
            scaled = g_total / replicas
        self.opt_g.apply_gradients(zip(tape.gradient(scaled, self.g_vars), self.g_vars, strict=True))

        fake = tf.stop_gradient(out)
        with tf.GradientTape() as tape:
            d_spatial = losses.d_loss(
                self.patch_d(pairs(targets), training=True), self.patch_d(pairs(fake), training=True)
            )
            t_real = losses.g_loss(
                self.temporal_d(stack_frames(targets), training=True), stable
            )  # -log D(real)
            t_fake = tf.reduce_mean(tf.nn.softplus(self.temporal_d(stack_frames(fake), training=True)))
            d_temporal = t_real + t_fake
            d_scaled = (d_spatial + d_temporal) / replicas
        self.opt_d.apply_gradients(zip(tape.gradient(d_scaled, self.d_vars), self.d_vars, strict=True))
        return {"g_total": g_total, **terms, "d_spatial": d_spatial, "d_temporal": d_temporal}

    def train_step(self, dist_batch) -> dict[str, float]:
        if self._train_step is None:

            @tf.function
            def step(batch):
                per_replica = self.strategy.run(self._replica_step, args=(batch,))
                return {
                    k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                    for k, v in per_replica.items()
                }

            self._train_step = step
        result = self._train_step(dist_batch)
        self.step.assign_add(1)
        return {k: float(v) for k, v in result.items()}

    # -- checkpoints -------------------------------------------------------------------------
    def restore(self) -> int:
        """Resume from the newest checkpoint in ``out/checkpoints``; returns the step (0 if none).

        A truncated or corrupt checkpoint (TensorFlow: DataLossError "not an sstable") is one
        error that names it and says how to start over, not a traceback.
        """
        latest = self.manager.latest_checkpoint
        if latest:
            try:
                self.checkpoint.restore(latest).assert_existing_objects_matched()
            except (tf.errors.OpError, ValueError, AssertionError) as exc:
                cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise EdgestyleError(
                    f"cannot resume from the checkpoint {latest} ({type(exc).__name__}: {cause}); "
                    f"start over with --fresh (deletes {self.manager.directory}) or use another --out"
                ) from None
        return int(self.step.numpy())

    def save_checkpoint(self) -> None:
        """Save one checkpoint; a full or read-only disk is one error (the previous checkpoints stay)."""
        try:
            self.manager.save(checkpoint_number=int(self.step.numpy()))
        except (tf.errors.OpError, OSError) as exc:
            problem = user_error(exc)
            cause = str(problem) if problem is not None else str(exc).strip().splitlines()[0]
            raise EdgestyleError(f"cannot save a checkpoint in {self.manager.directory}: {cause}") from None

    def checkpoint_bytes(self) -> int:
        """The size of one checkpoint: every variable it saves (weights, optimizer slots, the step)."""
        variables = [*self.generator.weights, *self.patch_d.weights, *self.temporal_d.weights]
        variables += [*self.opt_g.variables, *self.opt_d.variables]
        if self.style_table is not None:
            variables += list(self.style_table.weights)
        return sum(int(np.prod(v.shape)) * np.dtype(getattr(v.dtype, "as_numpy_dtype", v.dtype)).itemsize for v in variables)

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
        bar = Progress("train", c.max_steps, "steps", every=30.0, initial=start, enabled=progress).__enter__()
        saved_at = start
        try:
            while int(self.step.numpy()) < c.max_steps:
                batch = next(iterator)
                last = self.train_step(batch)
                step = int(self.step.numpy())
                history.append(last)
                if self._record_step(step, last, batch, writer, bar):
                    saved_at = step
                if on_step:
                    on_step(step, last)
                if c.time_budget and time.monotonic() - t0 >= c.time_budget:
                    reason = "time_budget"
                    break
        except KeyboardInterrupt as exc:
            reason = "interrupted"
            self.stop_signal = signal_of(exc)
        finally:
            bar.close()
        if int(self.step.numpy()) != saved_at:
            self.save_checkpoint()
        writer.flush()
        del iterator  # stop the generator threads before the interpreter shuts down
        return self._summary(start, reason, time.monotonic() - t0, last, history)

    def _record_step(self, step: int, losses: dict[str, float], batch, writer, bar) -> bool:
        """Progress bar, TensorBoard scalars and images, periodic checkpoint; True if it saved one."""
        c = self.config
        bar.update(1)
        shown = ("l1", "temporal", "gan", "d_spatial", "style")
        bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items() if k in shown})
        if step % c.log_every == 0 or step == 1:
            with writer.as_default(step=step):
                for k, v in losses.items():
                    tf.summary.scalar(f"loss/{k}", v)
        if c.image_every and step % c.image_every == 0:
            self._log_images(writer, batch, step)
        if step % c.checkpoint_every == 0:
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
        out = self.unroll(batch["frames"][:1], batch["style"][:1], training=False)
        strip = tf.concat([batch["frames"][0], batch["targets"][0], out[0]], axis=2)  # T rows of 3 panels
        with writer.as_default(step=step):
            tf.summary.image("clip/input_target_output", strip, max_outputs=self.config.clip_len)
