"""Server runtimes fetched once from Maven Central into a cache outside the repository."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import structlog

from infra.exceptions import DownloadError
from infra.process import tail
from infra.tools import find_maven

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Runtime:
    """The jars of one server release, resolved from one pom, ready to put on a classpath.

    The pom's digest is part of the path, so changing the pom (a new dependency) fetches into a
    new folder and never swaps jars under a server that is running from the old one.
    """

    name: str
    version: str
    home: Path
    pom_digest: str

    @property
    def lib_dir(self) -> Path:
        return self.home / f"lib-{self.pom_digest[:12]}"

    @property
    def marker(self) -> Path:
        return self.lib_dir / "complete.json"

    @property
    def classpath(self) -> str:
        return str(self.lib_dir / "*")


def ensure_runtime(name: str, version: str, cache_dir: Path) -> Runtime:
    """Return the cached runtime ``name`` at ``version``, downloading it with Maven only if missing.

    ``name`` selects ``infra/maven/<name>.pom.xml``. The jars are copied with
    ``mvn dependency:copy-dependencies`` into ``<cache_dir>/<name>-<version>/lib-<pom digest>``;
    a ``complete.json`` marker written last makes the second call download nothing.
    """
    pom_bytes = resources.files("infra").joinpath("maven", f"{name}.pom.xml").read_bytes()
    runtime = Runtime(name=name, version=version, home=cache_dir / f"{name}-{version}",
                      pom_digest=hashlib.sha256(pom_bytes).hexdigest())
    if runtime.marker.is_file():
        return runtime
    mvn = find_maven()
    runtime.home.mkdir(parents=True, exist_ok=True)
    log_path = runtime.home / "maven.log"
    log.info("runtime.download", runtime=name, version=version, into=str(runtime.lib_dir))
    with tempfile.TemporaryDirectory(dir=runtime.home) as work:
        pom = Path(work, "pom.xml")
        pom.write_bytes(pom_bytes)
        staging = Path(work, "lib")
        with log_path.open("w") as out:
            result = subprocess.run(
                [str(mvn), "-B", "-q", "-f", str(pom), "dependency:copy-dependencies",
                 f"-Druntime.version={version}", f"-DoutputDirectory={staging}",
                 "-DincludeScope=runtime"],
                stdout=out, stderr=subprocess.STDOUT, check=False,
            )
        jars = sorted(p.name for p in staging.glob("*.jar")) if staging.is_dir() else []
        if result.returncode != 0 or not jars:
            raise DownloadError(f"{name} {version}", log_path, tail(log_path))
        (staging / "complete.json").write_text(json.dumps({"version": version, "jars": jars},
                                                          indent=1))
        if runtime.lib_dir.exists():  # an interrupted earlier attempt: no marker, not in use
            shutil.rmtree(runtime.lib_dir)
        staging.rename(runtime.lib_dir)
    log.info("runtime.ready", runtime=name, version=version, jars=len(jars))
    return runtime

