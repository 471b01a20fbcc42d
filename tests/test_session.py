"""handson_rl.training.session.ray_session starts Ray only when none runs, and stops only what it started."""

from __future__ import annotations

import pytest


def test_ray_session_starts_and_stops_ray_and_leaves_an_existing_one_alone(no_local_ray):
    import ray

    from handson_rl.training.session import ray_session

    assert not ray.is_initialized()
    # One Ray start for the whole test: the outer block ends with an error, which
    # must stop Ray all the same (ray_session shuts down in a `finally`).
    with (
        pytest.raises(RuntimeError, match="outer boom"),
        ray_session(num_cpus=1, log_to_driver=False) as started,
    ):
        assert started is True and ray.is_initialized()
        assert ray.cluster_resources()["CPU"] == 1
        node = ray.get_runtime_context().get_node_id()
        # Ray is running now: a nested session uses it and leaves it running ...
        with ray_session(num_cpus=2) as inner:
            assert inner is False
        assert ray.is_initialized() and ray.get_runtime_context().get_node_id() == node
        # ... also when the nested block raises.
        with pytest.raises(RuntimeError, match="inner boom"), ray_session():
            raise RuntimeError("inner boom")
        assert ray.is_initialized()
        raise RuntimeError("outer boom")
    assert not ray.is_initialized()
