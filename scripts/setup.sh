#!/usr/bin/env bash
# Installs what veille's tests need on a fresh Debian machine with a Rust toolchain.
# Every step skips itself when its tool is already there, so running it again is fast.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: a C toolchain and pkg-config for crates that build C code, Python for reference
# checks, and Prometheus Alertmanager, which the alerting tests page.
need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-venv)
[ -x /usr/bin/prometheus-alertmanager ] || need_apt+=(prometheus-alertmanager)
# Chromium and Node.js for the dashboard's browser test (Playwright drives the system Chromium).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

# Python reference implementations, used to check veille's numbers against them, and PyYAML,
# used to check the deploy manifests.
if ! .venv/bin/python -c 'import vaderSentiment, vaderSentiment_fr, networkx, yaml' >/dev/null 2>&1; then
  say "creating .venv with the Python reference tools"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check \
    vadersentiment==3.3.2 vadersentiment-fr==1.3.4 networkx==3.6.1 numpy scipy pyyaml==6.0.3
fi
# schemathesis, which tests the HTTP API against its OpenAPI description.
if [ ! -x .venv/bin/schemathesis ]; then
  say "installing schemathesis in .venv"
  .venv/bin/pip install --quiet --disable-pip-version-check schemathesis==4.32.5
fi
# Playwright's driver for the browser test, pinned by tests/browser/package-lock.json. It never
# downloads a browser: the test uses /usr/bin/chromium.
if [ ! -f tests/browser/node_modules/playwright-core/package.json ]; then
  say "installing the browser test's node modules"
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
# A Kafka-protocol broker for the scale-out tests: tansu, built from crates.io (about 9 minutes the
# first time; skipped once .tools/tansu/bin/tansu exists).
bash scripts/kafka-broker.sh install >&2
say "ready"
