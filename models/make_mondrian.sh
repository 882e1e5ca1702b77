#!/usr/bin/env bash
# Reproduce models/mondrian/ (the mondrian specialist, step 24,200) from ../shared and the default
# model's kept run.
#
#   bash models/make_mondrian.sh              # SHARED=... WORK=... BUDGET=... as in make_default.sh
#
# From the joint default model's kept checkpoint (step 20,463, models/default/training/), mondrian
# clips only (data.style_mix gives every other style weight 0), with the pixel-patch style term at
# 80, noise-consistency and smooth-flow terms at 30, the trainer's weight average (ema 0.998), and
# the recurrent state carried along each clip's motion (model.warp_state), as the runtime carries
# it along its optical flow. Then, chunk by chunk as the measured run went
# (models/mondrian/MODEL_CARD.md): the temporal term 200 to 21,600; the finish settings (temporal
# 400, colour 60, low-pass 10) to 22,200; a burn-in of 4 frames (each clip starts from the state a
# back-and-forth pass of it leaves) to 23,000; temporal 800 to 23,600; burn-in 8 to 24,200. The
# previous file (step 22,500) came from make_paintings.sh with LOCK=mondrian.
# Train alone on the machine (0.75-0.90 steps/s on 2 x86-64 cores). Skips cleanly (exit 0) when
# ../shared is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SHARED="${SHARED:-$here/../../shared}"
WORK="${WORK:-$here/../out/mondrian-model}"
if [ ! -d "$SHARED/data/photos" ] || [ ! -d "$SHARED/anchors" ]; then
  echo "skip: $SHARED/data/photos or $SHARED/anchors not found (set SHARED=...)"
  exit 0
fi
only="data.style_mix=starry=0,the_scream=0,great_wave=0,leger=0,mondrian=1,matisse=0,chalk=0,cartoon=0"
common="--set $only --set schedule.ema=0.998 --set model.warp_state=true"
finish="--set objective.weights.colour=60 --set objective.weights.lowpass=10"
train() {  # $1: the step to stop at; $2: more --set flags
  SHARED="$SHARED" WORK="$WORK" STEPS="$1" BUDGET="${BUDGET:-4h}" TRAIN_ONLY=1 PHOTOS=0 PATCHES=80 \
    NOISE=30 FLOW=30 EXTRA="$common $2 ${EXTRA:-}" bash "$here/make_default.sh"
}
train 21600 "--set objective.weights.temporal=200"
train 22200 "--set objective.weights.temporal=400 $finish"
train 23000 "--set objective.weights.temporal=400 $finish --set data.burn_in=4"
train 23600 "--set objective.weights.temporal=800 $finish --set data.burn_in=4"
train 24200 "--set objective.weights.temporal=800 $finish --set data.burn_in=8"
for size in 384x384 256x256; do
  targets=cpu; [ "$size" = 384x384 ] && targets=cpu,gpu,edgetpu
  edgestyle convert "$WORK/default" -o "$WORK/export" -s "$size" -t "$targets" --style mondrian \
    -c "$SHARED/data/photos/kodak24"
done
echo "done: copy $WORK/export/default_*_mondrian_{int8,fp16}.* into models/mondrian/"
