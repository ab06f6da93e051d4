#!/usr/bin/env bash
# Installs everything minica's tests need and runs the whole suite twice:
#   - system tools the tests call as independent peers: openssl, xmlsec1, a JDK's keytool, and
#     libfaketime's faketime (runs a tool at a test's fixed instant), and libxmlsec1-dev + pkg-config
#     for the xmlsec Python package, and Debian's Chromium with its driver for the web pages'
#     browser tests — apt-get, only what is missing;
#   - a virtual environment in .venv with minica and its test dependencies;
#   - pytest, then pytest again with the wall clock moved years ahead: a test that reads the wall
#     clock instead of its fixed clock fails the day it is written, not the day the clock passes it.
# Extra arguments go to both pytest runs, e.g. ./scripts/test.sh -k keystore
# MINICA_TEST_SHIFT sets the move (default +7y, a libfaketime offset); "off" runs only the first.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
command -v keytool >/dev/null 2>&1 || missing+=(default-jdk-headless)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# curl posts a signed SOAP request in the README's local-DIAN example (tests/dian/test_send_cli.py).
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The xmlsec Python package (zeep's WS-Security signer in the DIAN web-service tests) builds against these.
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
dpkg -s libxmlsec1-dev >/dev/null 2>&1 || missing+=(libxmlsec1-dev)
if ((${#missing[@]})); then
  echo "installing system packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${pip[@]}" --upgrade pip
"${pip[@]}" -e '.[test]'
# Debian's libfaketime 0.9.10 breaks Python's sleeps and timed locks when the whole interpreter runs
# shifted (time.sleep fails with EINVAL, Event.wait never returns); python-libfaketime builds a
# fixed copy of the same library, used here only for the shifted run.
"${pip[@]}" 'libfaketime>=3'

.venv/bin/python -m pytest "$@"

shift_by="${MINICA_TEST_SHIFT:-+7y}"
if [ "$shift_by" = "off" ]; then
  exit 0
fi
shifted_lib="$(.venv/bin/python -c 'import os, libfaketime
env = libfaketime.get_reload_information()[1]
print(os.path.join(env["LD_LIBRARY_PATH"], env["LD_PRELOAD"]))')"
echo "== the same suite with the clock moved $shift_by (libfaketime) =="
# The JVM (keytool) runs five times slower under this library with the monotonic clock left alone,
# so it keeps its own clock: Java tools in the tests are never asked to judge time.
# Chromium (the web pages' browser tests) does not start under this library, and naming it (or
# chromedriver) in FAKETIME_SKIP_CMDS is not enough (chromedriver then dies with SIGTRAP): the tests
# start chromedriver with LD_PRELOAD and FAKETIME* removed (tests/web/web_support.py). The browser
# judges no time; the pages show the server's fixed clock (serve --at).
# FAKETIME_FORCE_MONOTONIC_FIX=0: that build's default makes every thread start take 20 ms
# (4 s for 200 threads: Starlette's test client starts one per request).
LD_PRELOAD="$shifted_lib" FAKETIME="$shift_by" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 \
  FAKETIME_SKIP_CMDS=keytool,java \
  exec .venv/bin/python -m pytest "$@"
