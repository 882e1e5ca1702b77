# Shared install steps for devices/*/install.sh (sourced, not run). Nothing here was run on real
# boards in this repository's CI; see docs/runtime.md for what was verified and how.
set -euo pipefail
EDGESTYLE_DIR=${EDGESTYLE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VENV=${VENV:-$EDGESTYLE_DIR/.venv}
RUN_USER=${SUDO_USER:-$USER}

apt_install() {
  sudo apt-get update
  sudo apt-get install -y --no-install-recommends "$@"
}

# make_venv [--system-site-packages]: the board's venv with edgestyle's runtime (no TensorFlow).
make_venv() {
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
    echo "edgestyle needs Python >= 3.10; this system has $(python3 --version)" >&2
    exit 1
  }
  python3 -m venv "$@" "$VENV"
  "$VENV/bin/pip" install --upgrade pip
  "$VENV/bin/pip" install -e "$EDGESTYLE_DIR"
}

# install_service PROFILE: the HDMI live view at boot, as edgestyle-live@PROFILE.service.
install_service() {
  local unit=/etc/systemd/system/edgestyle-live@.service
  sed -e "s#@EDGESTYLE_DIR@#$EDGESTYLE_DIR#g" -e "s#@USER@#$RUN_USER#g" \
    "$EDGESTYLE_DIR/devices/systemd/edgestyle-live@.service" | sudo tee "$unit" >/dev/null
  sudo usermod -aG video,render "$RUN_USER" || true
  sudo systemctl daemon-reload
  sudo systemctl enable "edgestyle-live@$1.service"
  echo "installed. check:  $VENV/bin/edgestyle doctor"
  echo "start now:        sudo systemctl start edgestyle-live@$1   (logs: journalctl -u edgestyle-live@$1 -f)"
}
