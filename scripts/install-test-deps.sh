#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, when missing (run by `npm test` as pretest,
# and so by .ci/run):
# - python3-mne, python3-numpy, python3-scipy: MNE-Python 1.3 reference for the live MNE checks,
#   numpy to write test inputs and read our .npy outputs;
# - chromium (+ fonts-dejavu-core): the browser test of report.html (never a downloaded browser).
# The SLURM integration test installs slurm-wlm and munge itself (scripts/slurm/local-cluster.sh).
# Without root or apt-get it only says what is missing; those tests then skip (or fail under CI=true).
set -euo pipefail
need=()
/usr/bin/python3 -c 'import mne, numpy, scipy' >/dev/null 2>&1 || need+=(python3-mne python3-numpy python3-scipy)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-test-deps: missing Debian packages: ${need[*]} (not root or no apt-get: the tests that need them will skip)" >&2
  exit 0
fi
echo "install-test-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
