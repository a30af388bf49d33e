from __future__ import annotations

import pytest

from infra.exceptions import ToolMissingError
from infra.tools import find_java, find_maven, parse_java_version


@pytest.mark.parametrize(("banner", "major"), [
    ('openjdk version "17.0.15" 2025-04-15', 17),
    ('openjdk version "25" 2025-09-16', 25),
    ('java version "1.8.0_392"', 8),
])
def test_parse_java_version(banner: str, major: int) -> None:
    assert parse_java_version(banner) == major


def test_unreadable_version_banner_is_an_error() -> None:
    with pytest.raises(ToolMissingError, match="cannot read the Java version"):
        parse_java_version("command not found")


def test_java_home_without_java_says_so(tmp_path) -> None:
    with pytest.raises(ToolMissingError) as caught:
        find_java({"JAVA_HOME": str(tmp_path)})
    assert caught.value.tool == "java"
    assert str(tmp_path) in str(caught.value)


def test_no_java_on_path_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError, match="install a JDK 17"):
        find_java({})


def test_no_maven_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError, match="install Apache Maven"):
        find_maven()
