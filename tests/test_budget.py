import pytest

from handson_rl import budget


def test_full_by_default(monkeypatch):
    monkeypatch.delenv("COURSE_BUDGET", raising=False)
    assert budget.level() == "full"
    assert budget.pick(full=20, smoke=2) == 20


def test_smoke_switch(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "smoke")
    assert budget.is_smoke()
    assert budget.pick(full=20, smoke=2) == 2


def test_unknown_budget_is_an_error(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "tiny")
    with pytest.raises(ValueError, match="COURSE_BUDGET='tiny'.*full.*smoke"):
        budget.pick(full=1, smoke=0)
