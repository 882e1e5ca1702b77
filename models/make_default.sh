#!/usr/bin/env bash
# Reproduce models/default/ from ../shared with edgestyle's own trainer, converter and evaluator.
#
#   bash models/make_default.sh            # resumable; see STEPS and BUDGET below
#   SHARED=/path/to/shared WORK=/tmp/es bash models/make_default.sh
#
# Trains one code-conditioned model on the Kodak and BSD photos in ../shared/data/photos (misc/ is
# kept out to pick settings on; the webcam, Sintel and Big Buck Bunny clips are kept out to evaluate
# on): seven paintings (Van Gogh's The Starry Night, Munch's The Scream, Hokusai's Great Wave,
# Leger's Contrast of Forms, a Mondrian composition, Matisse's Woman with a Hat and a red-chalk
# study), each with the Magenta arbitrary-stylization networks as a low-pass teacher and the
# painting itself for the perceptual (sliced-Wasserstein) style terms, and "cartoon" distilled from
# the built-in OpenCV filter. Texture is held still by the temporal, shift, noise-consistency and
# smooth-flow terms, and int8-like activation noise keeps int8 rounding from moving it
# (docs/training.md). The kept run: steps 0-2,405 with NOISE=FLOW=30 and no activation noise,
# 2,405-8,663 with NOISE=FLOW=10, 8,663-12,663 with ACT_NOISE=1, 12,663-16,663 with ACT_NOISE=1.5,
# 16,663-20,463 the same with 16 Kodak/BSD photos added as style pictures (Magenta teacher, a
# quarter of a painting's share each): more pictures to learn the code -> look mapping from, so a
# soft picture never trained on (Turner) is no longer painted with a trained painting's strokes.
# Two paintings in ../shared/styles (Picabia's Udnie,
# Turner's Shipwreck) are held out to measure styles never seen in training (--style-image).
# Train alone on the machine: probes beside it cut its steps per second several times over.
# Interrupt it and run it again: it resumes from the last checkpoint (every 100 steps, about a
# minute and a half). The latest checkpoint of the shipped run is kept in models/default/training/
# (generator, discriminators, optimizer state: about 5 MB), so on a fresh clone the recipe continues
# that run instead of starting over: raise STEPS (and BUDGET) to train it further, e.g.
#   STEPS=20000 BUDGET=4h bash models/make_default.sh
# and KEEP=1 copies the new latest checkpoint back into models/default/training/ (commit it; older
# checkpoints are not kept there, git history holds them). FRESH=1 ignores the kept checkpoint.
# Skips cleanly (exit 0, one line) when ../shared is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SHARED="${SHARED:-$here/../../shared}"
WORK="${WORK:-$here/../out/default-model}"
STEPS="${STEPS:-20463}"  # the kept run is at step 20,463 (models/default/training/): raise it to train on
BUDGET="${BUDGET:-90m}"
if [ ! -d "$SHARED/data/photos" ] || [ ! -d "$SHARED/anchors" ]; then
  echo "skip: $SHARED/data/photos or $SHARED/anchors not found (set SHARED=...)"
  exit 0
fi
export TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$WORK"
model="$WORK/default"
A="$SHARED/anchors"
S="$SHARED/styles"
kept="$here/default/training"

# shellcheck source=models/latest_checkpoint.sh
source "$here/latest_checkpoint.sh"

# BASE_REV: start from the kept checkpoint as it was at that git revision (the specialists' recipes).
if [ -z "${FRESH:-}" ] && [ ! -f "$model/checkpoints/checkpoint" ]; then
  if [ -n "${BASE_REV:-}" ]; then
    mkdir -p "$model"
    echo "continuing the kept run as of $BASE_REV: $(checkpoint_from_git "$BASE_REV" "$model/checkpoints")"
  elif [ -f "$kept/checkpoint" ]; then
    mkdir -p "$model"
    echo "continuing the kept run: $(copy_latest_checkpoint "$kept" "$model/checkpoints")"
  fi
fi

keep_latest_checkpoint() {  # the newest checkpoint of $model into models/default/training/, alone
  local latest
  latest="$(copy_latest_checkpoint "$model/checkpoints" "$kept")"
  echo "kept $latest in $kept ($(du -sh "$kept" | cut -f1))"
}

# Photos: Kodak and BSD (the misc/ photos are kept out to pick the model on; the three clips are
# kept out to evaluate it). EXTRA: more flags for a probe, e.g. EXTRA="--set objective.weights.noise=0";
# PATCHES: the pixel-patch style term's weight (0 in the shipped run; see the model card for 40).
# Photos as style pictures (from step 16,663; a code-conditioned run takes added styles on resume).
# PHOTOS=0 leaves them out (the specialists' recipes, which set their own data.style_mix).
# Each photo is drawn a quarter as often as a painting (a style data.style_mix does not name counts 1).
photo_styles=() mix=""
[ "${PHOTOS:-1}" = 0 ] || for photo in kodak24/kodim03 kodak24/kodim05 kodak24/kodim07 kodak24/kodim08 kodak24/kodim13 kodak24/kodim14 \
  kodak24/kodim19 kodak24/kodim20 kodak24/kodim21 kodak24/kodim23 bsd68/101085 bsd68/119082 bsd68/143090 \
  bsd68/175043 bsd68/208001 bsd68/253027; do
  name="_ph_$(basename "$photo")"  # "_": training material, not a named style of the model
  photo_styles+=(--style "$name=magenta:$A@$SHARED/data/photos/$photo.png")
  mix="$mix${mix:+,}$name=0.25"
done
[ -z "$mix" ] || photo_styles+=(--set "data.style_mix=$mix")
edgestyle train "$SHARED/data/photos/kodak24" "$SHARED/data/photos/bsd68" \
  --style "starry=magenta:$A@$S/starry_night_van_gogh.jpg" \
  --style "the_scream=magenta:$A@$S/the_scream_munch.jpg" \
  --style "great_wave=magenta:$A@$S/great_wave_hokusai.jpg" \
  --style "leger=magenta:$A@$S/contrast_of_forms_leger.jpg" \
  --style "mondrian=magenta:$A@$S/composition_mondrian.jpg" \
  --style "matisse=magenta:$A@$S/woman_with_a_hat_matisse.jpg" \
  --style "chalk=magenta:$A@$S/woman_in_peasant_dress_chalk.jpg" \
  --style "cartoon=${CARTOON_TEACHER:-cartoon}" ${photo_styles[@]+"${photo_styles[@]}"} \
  --loss-net "$A/style_predict_quantized_256.tflite" \
  --set data.style_codes=true --set data.style_variants=0 --set data.teacher_pictures=8 \
  --set model.head=paint --set model.base_channels=24 --set model.state_channels=48 \
  --set model.res_blocks=5 --set model.activation_noise="${ACT_NOISE:-1.5}" \
  --set objective.weights.style=20 --set objective.weights.colour=20 --set objective.weights.shift=15 \
  --set objective.weights.temporal=15 --set objective.weights.l1=10 --set objective.weights.noise="${NOISE:-10}" \
  --set objective.weights.flow="${FLOW:-10}" --set objective.weights.patches="${PATCHES:-0}" \
  --set objective.pair_noise_max=0.02 \
  --clip-len 3 --max-steps "$STEPS" --time-budget "$BUDGET" --checkpoint-every 100 --seed 0 \
  --out "$model" --cache-dir "$WORK/teacher-cache" ${EXTRA:-}
[ -n "${KEEP:-}" ] && keep_latest_checkpoint
[ -n "${TRAIN_ONLY:-}" ] && exit 0

# 384x384 for the figures in the model card, 256x256 for Raspberry Pi profiles.
# int8 is calibrated on real photos (a generated clip left flat regions badly quantized).
edgestyle convert "$model" -s 384x384 -t cpu,gpu,edgetpu -c "$SHARED/data/photos/kodak24"
edgestyle convert "$model" -s 256x256 -t cpu -c "$SHARED/data/photos/kodak24"

export_dir="$model/export"
declare -A PICTURE=([starry]=starry_night_van_gogh.jpg [the_scream]=the_scream_munch.jpg
  [great_wave]=great_wave_hokusai.jpg [leger]=contrast_of_forms_leger.jpg [mondrian]=composition_mondrian.jpg
  [matisse]=woman_with_a_hat_matisse.jpg [chalk]=woman_in_peasant_dress_chalk.jpg)
for clip in "$SHARED/data/video/box_webcam_opencv.mp4" "$SHARED/data/video/big_buck_bunny_132f.mp4" \
  "$SHARED/data/video/sintel_mountain_2"; do
  name="$(basename "${clip%.*}")"
  for style in "${!PICTURE[@]}"; do
    edgestyle eval "$clip" --size 384x384 --out "$WORK/eval-$name-$style" --style "$style" \
      -m "$export_dir/default_384x384_int8.tflite" --float-model "$export_dir/default_384x384_fp32.tflite" \
      -m "colour-transfer@$S/${PICTURE[$style]}" --teacher "$A" --style-image "$S/${PICTURE[$style]}"
  done
  edgestyle eval "$clip" --size 384x384 --out "$WORK/eval-$name-cartoon" --style cartoon \
    -m "$export_dir/default_384x384_int8.tflite" --float-model "$export_dir/default_384x384_fp32.tflite" \
    --teacher cartoon
done
edgestyle bench "$export_dir/default_384x384_int8.tflite" \
  --compare "$A/style_transfer_quantized_384.tflite" "$A/style_transfer_f16_384.tflite" \
  --threads 1,2 --runs 20 --json "$WORK/bench.json"

echo "done: copy $export_dir/default_{384x384,256x256}_int8.* and default_384x384_fp16.* into models/default/"
