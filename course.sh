#!/usr/bin/env bash
# Hands-on RL with Ray RLlib: set up and open the course, or run its tests.
#
#   bash course.sh lab     # set up (first time: a few minutes), then open JupyterLab
#   bash course.sh test    # set up, then run the whole test suite as CI does
#   bash course.sh site    # set up, then build the website (every chapter executed)
#   bash course.sh slides  # set up, then the chapters' slide decks (after `site`)
#   bash course.sh setup   # only set up (.venv with the pinned packages)
#
# Set-up is idempotent: it creates .venv/ next to this file with Python 3.11 and
# installs the pinned versions from pyproject.toml. Set PYTHON=/path/to/python3.11
# if `python3` is another version.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

setup() {
  local py=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    if ! "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "The course needs Python 3.11; '$py' is $("$py" --version 2>&1 || echo missing)." >&2
      echo "Install Python 3.11 and run: PYTHON=/path/to/python3.11 bash course.sh $*" >&2
      exit 1
    fi
    echo "Creating .venv with $("$py" --version)..."
    "$py" -m venv .venv
  fi
  # Installs only what is missing or at another version.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[${EXTRAS:-lab,test}]"
}

case "${1:-}" in
  setup)
    setup
    ;;
  lab)
    setup
    exec .venv/bin/jupyter lab notebooks/01_rl_and_rllib_in_a_nutshell.ipynb
    ;;
  test)
    EXTRAS=lab,test,site,browser setup
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
    #    error output, no broken link, image or script. Each chapter spends part of
    #    its time waiting for Ray's processes to start, which the tests fill.
    #    `set -m` gives the build its own process group, so that an interrupted run
    #    stops all of it (the build and the Sphinx process it starts; their kernels
    #    end with their parent), not just its first process.
    set -m
    .venv/bin/python -m handson_rl.maintainers.site --budget smoke --no-cache >"$site_log" 2>&1 &
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
    # chapter (kept in course_progress.json; --chapter N, --reset): progress.py.
    [ -x .venv/bin/python ] || die "The course is not set up yet: run bash course.sh lab first."
    exec .venv/bin/python -m handson_rl.progress "${@:2}"
    ;;
  site)
    EXTRAS=lab,site setup
    # Every chapter at the full budget (COURSE_BUDGET=smoke for a quick build);
    # a chapter whose code has not changed since the last build is not run again.
    exec .venv/bin/python -m handson_rl.maintainers.site --budget "${COURSE_BUDGET:-full}" "${@:2}"
    ;;
  slides)
    EXTRAS=lab,site setup
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
