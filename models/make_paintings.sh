#!/usr/bin/env bash
# Reproduce the painting specialists (models/starry/, ... : one painting baked into each file) from
# ../shared and the default model's kept run.
#
#   bash models/make_paintings.sh         # starry, matisse, chalk; SHARED=... WORK=... as in make_default.sh
#   STYLES="the_scream leger mondrian" GROW=17900 WORK=out/paintings2 bash models/make_paintings.sh
#   STYLES="the_scream leger mondrian" GROW=17900 LOCK="leger mondrian the_scream" WORK=out/paintings2 bash models/make_paintings.sh
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
# SOLO (one name; chalk with the default STYLES) then trains on that painting alone with the patch
# term at 80 and the stability weights at 5, to step SOLO_STEPS, before it is converted: chalk had
# flicker to spare (0.08x on the webcam) and lacked the teacher's hatching (models/chalk/MODEL_CARD.md).
# LOCK (names from STYLES; leger, mondrian, the_scream) then trains each of them alone from the
# run's last checkpoint, in WORK/lock-STYLE, with the trainer's weight average
# (schedule.ema=0.998), the patch term at 80, noise = flow = 30 and the temporal term raised: 60
# to its grow step (strokes grow, and the temporal term keeps them following motion), then 200 to
# its lock step (the recurrent output is locked to the picture's motion). Raising noise and flow
# instead moved back along the same style/flicker line; the temporal term moved the line
# (models/leger/MODEL_CARD.md).
# lock_plan gives each painting its steps (LOCK_GROW and LOCK_STEPS override them for a probe);
# mondrian and the_scream add a finish phase (finish_settings): the colour and low-pass terms
# raised, which closed the_scream's style gap without the flicker that the patch term brought.
# Copied into models/STYLE/, `edgestyle run/stylize --style STYLE` without --model picks it
# (docs/runtime.md); blends, --style-image and cycling keep the joint model.
# Train alone on the machine. Skips cleanly (exit 0) when ../shared is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SHARED="${SHARED:-$here/../../shared}"
WORK="${WORK:-$here/../out/paintings-model}"
if [ -z "${STYLES:-}" ]; then SOLO="${SOLO-chalk}"; fi
STYLES="${STYLES:-starry chalk matisse}"  # the shipped specialists (models/starry/MODEL_CARD.md)
SOLO="${SOLO:-}"
NAMES="starry the_scream great_wave leger mondrian matisse chalk"  # the paintings of make_default.sh
LOCK="${LOCK:-}"
case "$SOLO" in *" "*) echo "error: SOLO: one painting, not: $SOLO" >&2; exit 2 ;; esac
for style in $LOCK; do
  case " $STYLES " in *" $style "*) ;; *) echo "error: LOCK: $style is not one of STYLES: $STYLES" >&2; exit 2 ;; esac
done
for style in $STYLES $SOLO; do  # a typo would otherwise surface only at conversion, after the training
  case " $NAMES " in *" $style "*) ;; *) echo "error: STYLES/SOLO: $style is not one of: $NAMES" >&2; exit 2 ;; esac
done
if [ ! -d "$SHARED/data/photos" ] || [ ! -d "$SHARED/anchors" ]; then
  echo "skip: $SHARED/data/photos or $SHARED/anchors not found (set SHARED=...)"
  exit 0
fi
# shellcheck source=models/latest_checkpoint.sh
source "$here/latest_checkpoint.sh"
style_mix() {  # $@: the paintings to draw; every other style gets weight 0
  local mix="" name weight style
  for name in $NAMES cartoon; do
    weight=0
    for style in "$@"; do if [ "$style" = "$name" ]; then weight=1; fi; done
    mix="$mix${mix:+,}$name=$weight"
  done
  echo "$mix"
}
train() {  # $1: the paintings (quoted), $2: the step to stop at; then NAME=VALUE settings
  local mix steps="$2"
  mix="$(style_mix $1)"
  shift 2
  # From the default run at step 16,663 (models/default/training/ as of git 9fba83f), paintings only.
  env SHARED="$SHARED" WORK="$WORK" STEPS="$steps" BUDGET="${BUDGET:-4h}" TRAIN_ONLY=1 PATCHES=40 \
    BASE_REV=9fba83f PHOTOS=0 "$@" \
    EXTRA="--set data.style_mix=$mix ${EXTRA:-}" bash "$here/make_default.sh"
}
lock_plan() {  # $1: one painting -> "GROW LOCK FINISH": the steps at which each lock phase ends
  case "$1" in  # as measured (each painting's MODEL_CARD.md); "-": no finish phase
    mondrian) echo "21500 21900 22500" ;;
    the_scream) echo "21900 22700 22900" ;;
    *) echo "21900 22500 -" ;;
  esac
}
finish_settings() {  # $1: one painting -> the settings of its finish phase
  local palette="--set objective.weights.colour=60 --set objective.weights.lowpass=10"
  case "$1" in  # both raise the palette pulls; mondrian also doubles the temporal term (Sintel flicker)
    mondrian) echo "--set objective.weights.temporal=400 $palette" ;;
    the_scream) echo "--set objective.weights.temporal=200 $palette" ;;
  esac
}
lock_phase() {  # $1: lock dir, $2: painting, $3: the step to stop at, $4: this phase's settings
  # Every phase of a lock run: the weight average, the patch term at 80, noise = flow = 30.
  WORK="$1" EXTRA="--set schedule.ema=0.998 $4 ${EXTRA:-}" train "$2" "$3" PATCHES=80 NOISE=30 FLOW=30
}
lock() {  # $1: one painting, trained alone from the run's last checkpoint in WORK/lock-$1, then converted
  local dir="$WORK/lock-$1" grow steps finish
  read -r grow steps finish <<<"$(lock_plan "$1")"
  if [ ! -d "$dir/default/checkpoints" ]; then  # a rerun resumes the lock run from its own checkpoints
    mkdir -p "$dir/default"
    ln -sfn "$(cd "$WORK" && pwd)/teacher-cache" "$dir/teacher-cache"
    echo "lock $1: from $(copy_latest_checkpoint "$WORK/default/checkpoints" "$dir/default/checkpoints")"
  fi
  lock_phase "$dir" "$1" "${LOCK_GROW:-$grow}" "--set objective.weights.temporal=60"
  lock_phase "$dir" "$1" "${LOCK_STEPS:-$steps}" "--set objective.weights.temporal=200"
  if [ "$finish" != - ]; then lock_phase "$dir" "$1" "$finish" "$(finish_settings "$1")"; fi
  WORK="$dir" convert "$1"
}
convert() {  # $1: the painting to bake into the current checkpoint
  local size targets
  for size in 384x384 256x256; do
    targets=cpu; [ "$size" = 384x384 ] && targets=cpu,gpu,edgetpu
    edgestyle convert "$WORK/default" -o "$WORK/export" -s "$size" -t "$targets" --style "$1" \
      -c "$SHARED/data/photos/kodak24"
  done
}
# The measured run (alone, 0.87 steps/s on that day's 2-core VM): 16,663 -> 19,000 growing
# strokes, then 1,700 steps holding them. The_scream, leger and mondrian: GROW=17900 (their run
# grew for 1,250 steps and held for 2,800; models/the_scream/MODEL_CARD.md).
train "$STYLES" "${GROW:-19000}"
train "$STYLES" "${STEPS:-20700}" NOISE=30 FLOW=30
for style in $STYLES; do
  case " $SOLO $LOCK " in *" $style "*) ;; *) convert "$style" ;; esac
done
for style in $LOCK; do  # leger: 20,700 -> 21,900 -> 22,500; mondrian and the_scream: lock_plan
  lock "$style"
done
if [ -n "$SOLO" ]; then  # one painting alone from here on (chalk: 20,700 -> 22,287, 30 min)
  train "$SOLO" "${SOLO_STEPS:-22287}" PATCHES=80 NOISE=5 FLOW=5
  convert "$SOLO"
fi
echo "done: copy $WORK/export/default_*_STYLE_{int8,fp16}.* into models/STYLE/ for each of: $STYLES"
if [ -n "$LOCK" ]; then echo "      (from $WORK/lock-STYLE/export/ for: $LOCK)"; fi
