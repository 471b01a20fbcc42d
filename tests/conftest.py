"""The test suite's one Ray, and the ``ray`` marker.

Starting Ray costs seconds, so the tests share one local Ray (2 CPUs, no
dashboard, workers' output not forwarded) through the ``ray_session`` fixture,
started by :func:`handson_rl.training.session.ray_session` the first time a test
needs it and shut down when the run ends.

A few tests need *no* Ray in this process (``connect()`` to a multi-node cluster,
a command that starts and stops its own Ray): they take the ``no_local_ray``
fixture (module-scoped), which shuts the shared Ray down; the next module that
needs it starts it again. Those modules run first, so in a normal run Ray starts once.

Every test that starts Ray or trains carries the ``ray`` marker, so
``pytest -m "not ray"`` is the fast tier. Tests using either fixture get it
automatically (also through a fixture built on them); tests that start Ray in a subprocess are marked by hand. A test
without the marker that leaves Ray running in this process fails, so the marker
cannot be forgotten for in-process Ray.
"""

from __future__ import annotations

import contextlib
import sys

import pytest


class _SharedRay:
    """Starts the shared Ray on demand; stops it for tests that need none."""

    def __init__(self):
        self._session = None

    def start(self) -> None:
        import ray

        from handson_rl.training.session import ray_session

        if self._session is not None and ray.is_initialized():
            return
        self._session = contextlib.ExitStack()
        self._session.enter_context(
            ray_session(num_cpus=2, include_dashboard=False, log_to_driver=False)
        )

    def stop(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        if "ray" in sys.modules:
            import ray

            ray.shutdown()  # also a connection a test left open


@pytest.fixture(scope="session")
def _shared_ray():
    shared = _SharedRay()
    try:
        yield shared
    finally:
        shared.stop()


@pytest.fixture(scope="module")
def ray_session(_shared_ray):
    """Ray is running in this process (the suite's shared local Ray)."""
    _shared_ray.start()
    yield


@pytest.fixture(scope="module")
def no_local_ray(_shared_ray):
    """No Ray in this process while the module's tests run (nor after them)."""
    _shared_ray.stop()
    yield
    _shared_ray.stop()


def pytest_collection_modifyitems(config, items):
    first = set()
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "_shared_ray" in names:  # ray_session, no_local_ray, or a fixture using them
            item.add_marker(pytest.mark.ray)
        if "no_local_ray" in names:
            first.add(item.module.__name__)
    # Modules that need no Ray in-process run first, so the shared Ray starts only
    # once. (A stable sort: modules stay whole and keep their order.)
    items.sort(
        key=lambda item: 0 if getattr(item, "module", None) and item.module.__name__ in first else 1
    )


@pytest.fixture(autouse=True)
def _ray_marker_is_not_forgotten(request):
    """An unmarked test must not start Ray in this process."""
    if request.node.get_closest_marker("ray") is not None:
        yield
        return
    running = "ray" in sys.modules and sys.modules["ray"].is_initialized()
    yield
    if not running and "ray" in sys.modules and sys.modules["ray"].is_initialized():
        sys.modules["ray"].shutdown()
        pytest.fail("this test started Ray: mark it with @pytest.mark.ray (or use ray_session)")


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    """A fresh progress file, with a person answering (a headless run records nothing),
    for the tests of the checkers and concept checks that record passes."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv("HANDSON_RL_PROGRESS", str(path))
    monkeypatch.setenv("HANDSON_RL_FRONTEND", "text")
    return path


@pytest.fixture
def built_site_html():
    """The website ``course.sh test`` built (``HANDSON_SITE_HTML``), for the ``built_site``
    tests: without it they skip, except under CI, where the site must have been built."""
    import os
    from pathlib import Path

    html = os.environ.get("HANDSON_SITE_HTML")
    if not html:
        if os.environ.get("CI"):
            pytest.fail(
                "CI builds the smoke site first and sets HANDSON_SITE_HTML (course.sh test)."
            )
        pytest.skip("no built site: HANDSON_SITE_HTML is not set (course.sh test sets it)")
    return Path(html)
