#!/usr/bin/env bash
# Any Debian/Ubuntu machine with a USB webcam. The live view starts at boot on the console
# framebuffer, or in a window when run inside a desktop session (install opencv-python for that).
source "$(dirname "$0")/../lib/common.sh"
apt_install python3-venv python3-pip v4l-utils
make_venv
install_service generic-linux
