#!/usr/bin/env bash
# Installs everything minica's tests need and runs the whole suite:
#   - system tools the tests call as independent peers: openssl, xmlsec1, a JDK's keytool
#     (apt-get, only those that are missing);
#   - a virtual environment in .venv with minica and its test dependencies.
# Extra arguments go to pytest, e.g. ./scripts/test.sh -k keystore
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
command -v keytool >/dev/null 2>&1 || missing+=(default-jdk-headless)
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
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest "$@"
