#!/usr/bin/env bash
# Coral USB Accelerator on a Raspberry Pi (Bookworm, 64-bit): the EdgeTPU runtime (libedgetpu.so.1)
# from Google's Coral apt repository, picamera2 from apt. Plug the accelerator in after installing.
source "$(dirname "$0")/../lib/common.sh"
curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg | sudo gpg --dearmor -o /usr/share/keyrings/coral-edgetpu.gpg
echo "deb [signed-by=/usr/share/keyrings/coral-edgetpu.gpg] https://packages.cloud.google.com/apt coral-edgetpu-stable main" |
  sudo tee /etc/apt/sources.list.d/coral-edgetpu.list >/dev/null
apt_install libedgetpu1-std python3-picamera2 python3-venv python3-pip
make_venv --system-site-packages
install_service coral-usb
