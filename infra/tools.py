"""Finding the Java and Maven executables the stack needs, with a clear error when they are not there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from infra.exceptions import ToolMissingError

MIN_JAVA = 17


@dataclass(frozen=True)
class JavaTools:
    """The java/javac pair of one JDK and its feature version."""

    java: Path
    javac: Path
    major: int


def find_java(env: dict[str, str] | None = None) -> JavaTools:
    """Return the JDK from ``JAVA_HOME`` or ``PATH``; it must be Java 17 or newer and have javac."""
    env = dict(os.environ) if env is None else env
    java_home = env.get("JAVA_HOME")
    if java_home:
        java, javac = Path(java_home, "bin", "java"), Path(java_home, "bin", "javac")
    else:
        found_java, found_javac = shutil.which("java"), shutil.which("javac")
        if not found_java:
            raise ToolMissingError(
                "java", "install a JDK 17 or newer (apt-get install openjdk-17-jdk-headless) "
                "or set JAVA_HOME to one."
            )
        java = Path(found_java).resolve()
        javac = Path(found_javac).resolve() if found_javac else java.with_name("javac")
    if not java.is_file():
        raise ToolMissingError("java", f"JAVA_HOME points to {java_home}, which has no bin/java.")
    if not javac.is_file():
        raise ToolMissingError(
            "javac", f"{java} has no javac beside it; install the full JDK, not only the JRE."
        )
    major = java_major_version(java)
    if major < MIN_JAVA:
        raise ToolMissingError(
            "java", f"{java} is Java {major}; Kafka 4 and Neo4j 5 need Java {MIN_JAVA} or newer."
        )
    return JavaTools(java=java, javac=javac, major=major)


def java_major_version(java: Path) -> int:
    """Feature version of a ``java`` executable, read from ``java -version``."""
    result = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=False)
    return parse_java_version(result.stderr or result.stdout)


def parse_java_version(banner: str) -> int:
    """``openjdk version "17.0.15"`` -> 17; ``"1.8.0_392"`` -> 8."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', banner)
    if not match:
        raise ToolMissingError("java", f"cannot read the Java version from {banner.strip()!r}.")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_maven() -> Path:
    """Return ``mvn`` from ``PATH``."""
    found = shutil.which("mvn")
    if not found:
        raise ToolMissingError("mvn", "install Apache Maven (apt-get install maven).")
    return Path(found)
