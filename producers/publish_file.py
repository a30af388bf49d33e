"""``ketenlink publish --partner P FILE``: a partner export, through its adapter, onto Kafka.

Every input line ends up either published (the broker acknowledged it), skipped (the adapter
says why, e.g. a KvK event without indicator) or in the rejects file with its line number and
reason. Records go out in batches; a batch counts only when every send in it was acknowledged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from core.exceptions import PublishError
from core.private_files import open_private, private_dir
from core.publisher import Publisher
from core.topics import TopicLayout
from producers.adapters.base import Adapter, Parsed, Rejected, Result, Skipped
from schemas.signal import Signal

log = structlog.get_logger(__name__)

BATCH = 500


@dataclass
class PublishReport:
    published: int = 0
    rejected: int = 0
    skipped: int = 0
    failed: int = 0
    """Valid records the broker did not acknowledge (also written to the rejects file)."""
    rejects_file: Path | None = None
    skip_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.rejected == 0 and self.failed == 0


def record_key(signal: Signal) -> bytes:
    """The Kafka key of a partner signal: its idempotency key ``partner/partner_ref``."""
    return f"{signal.partner}/{signal.partner_ref}".encode()


def publish_file(adapter: Adapter, path: Path, publisher: Publisher, layout: TopicLayout,
                 rejects_path: Path, progress: Callable[[int], None] = lambda _: None
                 ) -> PublishReport:
    """Read ``path`` with ``adapter`` and publish its signals; see the module docstring."""
    topic = layout.inbound_of(adapter.partner)
    report = PublishReport(rejects_file=rejects_path)
    batch: list[Parsed] = []
    private_dir(rejects_path.parent)
    with open_private(rejects_path, "w") as rejects:
        def park(line: int, reason: str, raw: str) -> None:
            rejects.write(json.dumps({"line": line, "reason": reason, "raw": raw},
                                     ensure_ascii=False) + "\n")

        def flush() -> None:
            if not batch:
                return
            try:
                publisher.publish_many(topic, [(record_key(p.signal),
                                                p.signal.model_dump_json().encode())
                                               for p in batch])
                report.published += len(batch)
            except PublishError as exc:
                report.failed += len(batch)
                for parsed in batch:
                    park(parsed.line, f"broker did not acknowledge: {exc.cause!r}",
                         parsed.signal.model_dump_json())
                raise
            finally:
                progress(len(batch))
                batch.clear()

        result: Result
        try:
            for result in adapter.read(path):
                if isinstance(result, Parsed):
                    batch.append(result)
                    if len(batch) >= BATCH:
                        flush()
                elif isinstance(result, Rejected):
                    report.rejected += 1
                    park(result.line, result.reason, result.raw)
                    progress(1)
                elif isinstance(result, Skipped):
                    report.skipped += 1
                    report.skip_reasons[result.reason] = report.skip_reasons.get(result.reason, 0) + 1
                    progress(1)
            flush()
        finally:
            log.info("publish.done", partner=adapter.partner, file=str(path),
                     published=report.published, rejected=report.rejected,
                     skipped=report.skipped, failed=report.failed)
    return report
