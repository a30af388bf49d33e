"""The write-behind view the resolve stage processes each record through."""

from __future__ import annotations

from typing import Any

import pytest

from streams.write_behind import WriteBehind


class CountingStore(dict[str, Any]):
    """A dict that counts the writes and deletes it receives (a faust table's changelog)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.writes: list[str] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes.append(f"del {key}")
        super().__delitem__(key)


def test_reads_see_pending_writes_and_the_store_sees_nothing_before_flush() -> None:
    store = CountingStore({"a": 1})
    view = WriteBehind(store)
    view["a"] = 2
    view["b"] = 3
    assert (view["a"], view.get("b"), view.get("c", "none")) == (2, 3, "none")
    assert store == {"a": 1} and store.writes == []
    assert view.pending == 2


def test_a_key_written_many_times_reaches_the_store_once_with_its_last_value() -> None:
    store = CountingStore()
    view = WriteBehind(store)
    for n in range(5):
        view["n:entities"] = n
    assert view.flush() == 1
    assert store == {"n:entities": 4} and store.writes == ["n:entities"]
    assert view.pending == 0


def test_deletes_are_pending_too() -> None:
    store = CountingStore({"e:x": {"k": "person"}, "keep": 1})
    view = WriteBehind(store)
    del view["e:x"]
    assert "e:x" not in view and view.get("e:x") is None
    with pytest.raises(KeyError):
        _ = view["e:x"]
    with pytest.raises(KeyError):
        del view["e:x"]
    assert sorted(view) == ["keep"] and len(view) == 1
    view.flush()
    assert store == {"keep": 1} and store.writes == ["del e:x"]


def test_a_key_set_and_deleted_before_flush_leaves_the_store_untouched() -> None:
    store = CountingStore()
    view = WriteBehind(store)
    view["tmp"] = 1
    del view["tmp"]
    view.flush()
    assert store == {}


def test_discard_forgets_pending_writes_as_a_crash_would() -> None:
    store = CountingStore({"a": 1})
    view = WriteBehind(store)
    view["a"] = 99
    view.discard()
    assert view["a"] == 1 and view.flush() == 0 and store.writes == []
