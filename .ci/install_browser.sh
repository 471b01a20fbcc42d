#!/usr/bin/env bash
# Install what the browser test (tests/browser/) needs, idempotently:
#   1. Debian's Chromium at /usr/bin/chromium (apt-get, only if it is missing;
#      needs root, as CI has). Playwright drives this browser: the test never runs
#      `playwright install`, which would download a browser build of its own.
#   2. The `browser` extra (the exactly pinned Playwright for Python) into .venv.
# Exits 0 without Chromium when it genuinely cannot be installed (not root, no
# apt-get); the browser test then skips and says why.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's chromium for the browser test..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  else
    echo "No /usr/bin/chromium and no way to install it (needs root and apt-get):" \
         "the browser test will be skipped." >&2
  fi
fi

# (course.sh test installs the extra with the others, in one pip call.)
if [ -x .venv/bin/python ] && ! .venv/bin/python -c "import playwright" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[browser]"
fi
