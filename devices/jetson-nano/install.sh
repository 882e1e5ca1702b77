#!/usr/bin/env bash
# Jetson Nano (JetPack 4.6 ships Ubuntu 18.04 with Python 3.6; edgestyle needs >= 3.10). Use an image
# with a newer Python (or build one) and an OpenCV with GStreamer for that Python; make_venv stops
# with a clear message otherwise. The interpreter falls back to tflite-runtime where LiteRT has no wheel.
source "$(dirname "$0")/../lib/common.sh"
apt_install python3-venv python3-pip gstreamer1.0-tools v4l-utils
make_venv --system-site-packages
"$VENV/bin/pip" install tflite-runtime || echo "note: no tflite-runtime wheel; ai-edge-litert or tf.lite must be present" >&2
"$VENV/bin/pip" uninstall -y opencv-python-headless opencv-python || true
install_service jetson-nano
