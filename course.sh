#!/usr/bin/env bash
# Hands-on RL with Ray RLlib: set up and open the course, or run its tests.
#
#   bash course.sh lab     # set up (first time: a few minutes), then open JupyterLab
#   bash course.sh test    # set up, then run the whole test suite as CI does
#   bash course.sh site    # set up, then build the website (every chapter executed)
#   bash course.sh slides  # set up, then the chapters' slide decks (after `site`)
#   bash course.sh setup   # only set up (.venv with the locked packages)
#
# Set-up is idempotent: it creates .venv/ next to this file with Python 3.11 and
# installs exactly the versions in requirements/lock.txt (every package, all
# extras; made from pyproject.toml). Set PYTHON=/path/to/python3.11 if `python3`
# is another version.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
COMMAND=${1:-setup}
LOCK=requirements/lock.txt
# Every extra pyproject.toml defines: learners and CI get the same packages.
ALL_EXTRAS=lab,test,site,browser,bench
NEEDED_GB=${COURSE_NEEDED_GB:-4}  # a fresh .venv is about 2.5 GB, plus pip's downloads

die() {
  echo "" >&2
  echo "$*" >&2
  exit 1
}

make_venv() {
  local py=${PYTHON:-python3}
  if ! command -v "$py" >/dev/null 2>&1; then
    die "The course needs Python 3.11, and '$py' was not found. Install Python 3.11 and run: PYTHON=/path/to/python3.11 bash course.sh ${COMMAND}"
  fi
  if ! "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    die "The course needs Python 3.11; '$py' is $("$py" --version 2>&1 || echo 'not a working Python'). Install Python 3.11 and run: PYTHON=/path/to/python3.11 bash course.sh ${COMMAND}"
  fi
  if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
    die "Python 3.11 is there but its venv module (with ensurepip) is not: on Debian/Ubuntu run 'sudo apt install python3.11-venv', then run the same command again."
  fi
  echo "Creating .venv with $("$py" --version)..."
  if ! "$py" -m venv .venv; then
    rm -rf .venv
    die "Creating .venv failed (messages above). If it says ensurepip or pip is missing, install python3.11-venv (Debian/Ubuntu: 'sudo apt install python3.11-venv'), then run the same command again."
  fi
}

free_gb() {
  df -Pk . | awk 'NR == 2 { print int($4 / 1048576) }'
}

setup() {
  local created=0
  if [ ! -x .venv/bin/python ]; then
    if [ "$(free_gb)" -lt "$NEEDED_GB" ]; then
      die "The course needs about $NEEDED_GB GB of free disk space here for .venv; this disk has $(free_gb) GB free. Free some space, then run the same command again."
    fi
    make_venv
    created=1
  fi
  if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    [ "$created" = 1 ] && rm -rf .venv  # only a .venv this run made; never a learner's
    die "The new .venv has no pip (Python's ensurepip is missing): on Debian/Ubuntu run 'sudo apt install python3.11-venv', then run the same command again."
  fi
  # Installs only when pyproject.toml or the lock changed since the last set-up.
  local stamp=.venv/course-installed want
  want=$(.venv/bin/python -c 'import hashlib, sys; print(hashlib.sha256(b"".join(open(f, "rb").read() for f in sys.argv[1:])).hexdigest())' pyproject.toml "$LOCK")
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "Installing the course's packages (first time: a few minutes)..."
  local log=.venv/pip-install.log
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check \
      -c "$LOCK" -e ".[$ALL_EXTRAS]" >"$log" 2>&1; then
    tail -n 15 "$log" >&2
    if grep -q "No space left on device" "$log"; then
      die "The disk filled up during the install. Free some space (about $NEEDED_GB GB), then run the same command again."
    elif grep -qiE "Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|ProxyError|SSLError|timed out|Network is unreachable|Connection refused" "$log" \
        || ! .venv/bin/python -m pip index versions pip >/dev/null 2>&1; then
      die "pip could not download the packages: this machine does not reach the package index (https://pypi.org). Check the network (behind a proxy: export HTTPS_PROXY=...), then run the same command again."
    elif grep -qiE "Could not find a version|No matching distribution" "$log"; then
      die "pip found no build of a package above for this machine, or could not reach the package index. The course runs on Linux and macOS with Python 3.11 (on Windows: inside WSL); check the network, then run the same command again."
    fi
    die "Installing the packages failed (last lines above; the whole log is in $log). Run the same command again; if it fails the same way, open an issue with that log."
  fi
  echo "$want" >"$stamp"
}

case "${1:-}" in
  setup)
    setup
    ;;
  lab)
    setup
    # As root too (containers, cloud VMs), headless (prints the address to open),
    # and on the next free port when 8888 is taken: src/handson_rl/lab.py.
    exec .venv/bin/python -m handson_rl.lab "${@:2}"
    ;;
  test)
    setup
    # The browser tests (tests/browser/) need Debian's Chromium: installed here
    # when missing (only as root with apt-get; without it the browser tests skip,
    # except under CI, where they fail).
    bash .ci/install_browser.sh
    # Everything runs under the smoke budget (COURSE_BUDGET=smoke): small, real runs.
    export COURSE_BUDGET=smoke
    mkdir -p _build
    site_log="$here/_build/site-smoke.log"
    # 1. The website at the smoke budget, in the background (its log goes to
    #    $site_log): this executes every solution notebook (a cell that raises fails
    #    the build, unless it is tagged raises-exception), then checks the pages: no
    #    error output, no broken link, image or script. One chapter at a time: beside
    #    pytest the two cores are already busy (a fresh-clone run with --jobs 2 took
    #    26.8 min, pytest 1,340 s, against 13.8-15.5 min serial at the last stop).
    #    Chapter 3 runs with each cell twice in a row (--twice 03), as a learner who
    #    runs a cell again does: one execution checks both the page and re-running.
    #    `set -m` gives the build its own process group, so that an interrupted run
    #    stops all of it (the build and the Sphinx process it starts; their kernels
    #    end with their parent), not just its first process.
    set -m
    .venv/bin/python -m handson_rl.maintainers.site --budget smoke --no-cache --twice 03 >"$site_log" 2>&1 &
    site_pid=$!
    set +m
    trap 'kill -- "-$site_pid" 2>/dev/null || true' EXIT
    # 2. Meanwhile: unit and property tests, "are the notebooks in sync with
    #    lessons/?", the browser tests in JupyterLab, and every exercise notebook
    #    that runs a cell its solution does not, executed headless (its stubs'
    #    cells skipped), so a stub that breaks later cells is caught (the others
    #    are checked without a kernel: see conftest.py).
    status=0
    .venv/bin/python -m pytest tests notebooks -m "not built_site" \
      --nbval-lax --nbval-cell-timeout=900 -p no:cacheprovider --durations=30 "${@:2}" || status=$?
    # 3. The website: its build log, then the tests that read the built pages
    #    (the page checks, and the site in the browser).
    site_status=0
    wait "$site_pid" || site_status=$?
    trap - EXIT
    cat "$site_log"
    if [ "$site_status" != 0 ]; then
      echo "The website build failed (exit $site_status): see its log above." >&2
      exit "$site_status"
    fi
    HANDSON_SITE_HTML="$here/_build/site-smoke/html" .venv/bin/python -m pytest tests -m built_site \
      -p no:cacheprovider "${@:2}" || status=$?
    exit "$status"
    ;;
  progress)
    # Which concept checks, exercises and tasks you have passed, chapter by
    # chapter (kept in course_progress.json; --chapter N, --reset): progress_report.py.
    [ -x .venv/bin/python ] || die "The course is not set up yet: run bash course.sh lab first."
    exec .venv/bin/python -m handson_rl.progress_report "${@:2}"
    ;;
  site)
    setup
    # Every chapter at the full budget (COURSE_BUDGET=smoke for a quick build);
    # a chapter whose code has not changed since the last build is not run again.
    exec .venv/bin/python -m handson_rl.maintainers.site --budget "${COURSE_BUDGET:-full}" "${@:2}"
    ;;
  slides)
    setup
    # One reveal.js deck per chapter, from the lessons and the outputs the website
    # build stored (run `bash course.sh site` first; nothing is executed here):
    # _build/slides-full/ (COURSE_BUDGET=smoke: from the smoke build).
    exec .venv/bin/python -m handson_rl.maintainers.slides --budget "${COURSE_BUDGET:-full}" "${@:2}"
    ;;
  *)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
