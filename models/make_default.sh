#!/usr/bin/env bash
# Reproduce models/default/ from ../shared with edgestyle's own trainer, converter and evaluator.
#
#   bash models/make_default.sh            # ~15 minutes on an idle 2-core x86-64 CPU
#   SHARED=/path/to/shared WORK=/tmp/es bash models/make_default.sh
#
# Trains one multi-style model on the photos in ../shared/data/photos (the Sintel clip is held
# out for evaluation): "starry" distilled from the Magenta arbitrary-stylization networks with
# Van Gogh's The Starry Night, and "cartoon" distilled from the built-in OpenCV cartoon filter.
# Skips cleanly (exit 0, one line) when ../shared is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SHARED="${SHARED:-$here/../../shared}"
WORK="${WORK:-$here/../out/default-model}"
# 2,200 steps: ~8 minutes on an idle 2-core CPU (4.4 steps/s), ~20 on a busy one.
STEPS="${STEPS:-2200}"
if [ ! -d "$SHARED/data/photos" ] || [ ! -d "$SHARED/anchors" ]; then
  echo "skip: $SHARED/data/photos or $SHARED/anchors not found (set SHARED=...)"
  exit 0
fi
export TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$WORK"
model="$WORK/default"

edgestyle train "$SHARED/data/photos" \
  --style "starry=magenta:$SHARED/anchors@$SHARED/styles/starry_night_van_gogh.jpg" \
  --style cartoon=cartoon \
  --out "$model" --max-steps "$STEPS" --time-budget 60m --checkpoint-every 100 --seed 0 \
  --set generator.state_channels=24 --set weights.temporal=4 \
  --cache-dir "$WORK/teacher-cache"

# 384x384 for the figures in the model card, 256x256 for Raspberry Pi profiles.
edgestyle convert "$model" -s 384x384 -t cpu,gpu,edgetpu  # generated-clip calibration measured best (model card)
edgestyle convert "$model" -s 256x256 -t cpu

clip="$SHARED/data/video/sintel_mountain_2"
export_dir="$model/export"
edgestyle eval "$clip" --size 384x384 --out "$WORK/eval-starry" --style starry \
  -m "$export_dir/default_384x384_int8.tflite" --float-model "$export_dir/default_384x384_fp32.tflite" \
  -m "$SHARED/anchors" --teacher "$SHARED/anchors" --style-image "$SHARED/styles/starry_night_van_gogh.jpg"
edgestyle eval "$clip" --size 384x384 --out "$WORK/eval-cartoon" --style cartoon \
  -m "$export_dir/default_384x384_int8.tflite" --float-model "$export_dir/default_384x384_fp32.tflite" \
  --teacher cartoon
edgestyle bench "$export_dir/default_384x384_int8.tflite" \
  --compare "$SHARED/anchors/style_transfer_quantized_384.tflite" "$SHARED/anchors/style_transfer_f16_384.tflite" \
  --threads 1,2 --runs 20 --json "$WORK/bench.json"

echo "done: copy $export_dir/default_{384x384,256x256}_int8.* and default_384x384_fp16.* into models/default/"
