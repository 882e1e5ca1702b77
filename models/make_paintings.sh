#!/usr/bin/env bash
# Reproduce the painting specialists (models/starry/, ... : one painting baked into each file) from
# ../shared and the default model's kept run.
#
#   bash models/make_paintings.sh                 # SHARED=... WORK=... as in make_default.sh
#   STYLES="starry chalk" bash models/make_paintings.sh
#
# The joint default model (models/default/) has to paint seven paintings, cartoon and pictures it
# never saw with one set of weights, and training it further for the paintings' look cost the
# held-out pictures and cartoon (models/default/MODEL_CARD.md, runs B-F). A specialist does not have
# to generalise: this run starts from the default model's kept checkpoint (step 16,663), draws only
# the paintings in STYLES (data.style_mix gives every other style weight 0), first with the
# pixel-patch style term (objective.weights.patches=40) at the recipe's stability weights
# so that strokes grow, then with the noise-consistency and smooth-flow weights raised to 30 so
# that they hold still (the order matters: run C, with both high from the start, grew no strokes).
# Each painting is then converted with its style baked in (FiLM folded into the convolutions).
# Copied into models/STYLE/, `edgestyle run/stylize --style STYLE` without --model picks it
# (docs/runtime.md); blends, --style-image and cycling keep the joint model.
# Train alone on the machine. Skips cleanly (exit 0) when ../shared is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SHARED="${SHARED:-$here/../../shared}"
WORK="${WORK:-$here/../out/paintings-model}"
STYLES="${STYLES:-starry chalk matisse}"  # the shipped specialists (models/starry/MODEL_CARD.md)
NAMES="starry the_scream great_wave leger mondrian matisse chalk"  # the paintings of make_default.sh
for style in $STYLES; do  # a typo would otherwise surface only at conversion, after the training
  case " $NAMES " in *" $style "*) ;; *) echo "error: STYLES: $style is not one of: $NAMES" >&2; exit 2 ;; esac
done
if [ ! -d "$SHARED/data/photos" ] || [ ! -d "$SHARED/anchors" ]; then
  echo "skip: $SHARED/data/photos or $SHARED/anchors not found (set SHARED=...)"
  exit 0
fi
mix=""
for name in $NAMES cartoon; do
  weight=0
  for style in $STYLES; do if [ "$style" = "$name" ]; then weight=1; fi; done
  mix="$mix${mix:+,}$name=$weight"
done
train() {  # $1: the step to stop at; then NAME=VALUE settings for make_default.sh
  local steps="$1"
  shift
  env SHARED="$SHARED" WORK="$WORK" STEPS="$steps" BUDGET="${BUDGET:-4h}" TRAIN_ONLY=1 PATCHES=40 "$@" \
    EXTRA="--set data.style_mix=$mix ${EXTRA:-}" bash "$here/make_default.sh"
}
# The measured run (alone, 0.87 steps/s on that day's 2-core VM): 16,663 -> 19,000 growing
# strokes, then 1,700 steps holding them.
train 19000
train "${STEPS:-20700}" NOISE=30 FLOW=30
for style in $STYLES; do
  for size in 384x384 256x256; do
    targets=cpu; [ "$size" = 384x384 ] && targets=cpu,gpu,edgetpu
    edgestyle convert "$WORK/default" -o "$WORK/export" -s "$size" -t "$targets" --style "$style" \
      -c "$SHARED/data/photos/kodak24"
  done
done
echo "done: copy $WORK/export/default_*_STYLE_{int8,fp16}.* into models/STYLE/ for each of: $STYLES"
