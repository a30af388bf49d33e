"""Subjects for resolver tests, validated as the signal contract does."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from copy import deepcopy
from typing import Any

from pydantic import TypeAdapter

from schemas.subjects import Subject

_SUBJECT: TypeAdapter[Any] = TypeAdapter(Subject)


def subject(type_: str, **fields: Any) -> Any:
    return _SUBJECT.validate_json(json.dumps({"type": type_, "ref": "x1", "role": "other", **fields}))


def person(**fields: Any) -> Any:
    return subject("person", **fields)


def business(**fields: Any) -> Any:
    return subject("business", **fields)


def bsn(n: int) -> dict[str, str]:
    return {"scheme": "bsn-pseudonym", "value": f"ps1:{n:064x}"}


def passport(value: str) -> dict[str, str]:
    return {"scheme": "passport", "value": value}


def address(postcode: str = "1234 AB", number: int = 1, **more: Any) -> dict[str, Any]:
    return {"country": "NL", "street": "Dorpsstraat", "house_number": number, "postcode": postcode,
            "city": "Ergens", **more}


class ShadowStore(dict[str, Any]):
    """A dict store that keeps a deep copy of every value written: a value changed in place
    after it was written (which a faust table would never see) makes ``drifted`` true."""

    def __init__(self) -> None:
        super().__init__()
        self.shadow: dict[str, Any] = {}
        self.writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        self.shadow[key] = deepcopy(value)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.shadow.pop(key, None)
        super().__delitem__(key)

    @property
    def drifted(self) -> bool:
        return dict(self) != self.shadow


def snapshot(store: MutableMapping[str, Any]) -> dict[str, Any]:
    return deepcopy(dict(store))
