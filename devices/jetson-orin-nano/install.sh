#!/usr/bin/env bash
# Jetson Orin Nano (JetPack 6, Ubuntu 22.04, Python 3.10). csi:// needs OpenCV built with GStreamer:
# JetPack's system OpenCV has it, pip's opencv-python-headless does not, so the venv sees the system
# packages and the pip OpenCV is removed again after installing.
source "$(dirname "$0")/../lib/common.sh"
apt_install python3-venv python3-pip python3-opencv gstreamer1.0-tools v4l-utils
make_venv --system-site-packages
"$VENV/bin/pip" uninstall -y opencv-python-headless opencv-python || true
"$VENV/bin/python" -c 'from edgestyle.runtime.probes import opencv_has_gstreamer as g; raise SystemExit(not g())' ||
  echo "warning: this OpenCV lacks GStreamer; csi://0 will not open" >&2
install_service jetson-orin-nano
