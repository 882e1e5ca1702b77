#!/usr/bin/env bash
# raspberry-pi-5 (Raspberry Pi OS Bookworm, 64-bit): picamera2 comes from apt (python3-picamera2), so the venv
# is made with --system-site-packages to see it. Run from the repo: devices/raspberry-pi-5/install.sh
source "$(dirname "$0")/../lib/common.sh"
apt_install python3-picamera2 python3-venv python3-pip
make_venv --system-site-packages
install_service raspberry-pi-5
