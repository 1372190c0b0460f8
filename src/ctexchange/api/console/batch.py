"""Batch screening from the console: a CSV file screened in the background, its progress polled by htmx.

The file is read and every row validated before anything is screened (a bad row is reported in the
results with its error, the others still run). The job then runs in one thread, screening `CHUNK` rows per
call of `ScreeningService.screen` as the caller who uploaded it, so each result is exactly what
`POST /v1/screen` would return to that caller. Results are kept in memory as JSON lines, for the uploader
only (another user gets 404, as for an unknown job), and dropped `JOB_TTL` after the job ends or when the
user starts more than `MAX_JOBS_PER_USER`. Nothing of the file is logged or written to the store; the
audit log gets the screening service's own `entity.screen` read events.

CSV columns (a header row is required; `name` is the only required column):
`id, name, schema (Person|Organization|LegalEntity), birth_date, nationality, id_number`.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog

from ctexchange.domain.entities import ScreeningQuery
from ctexchange.errors import CtxError, InvalidInput, NotFound, PayloadTooLarge
from ctexchange.service.context import Caller, Clock
from ctexchange.service.screening import ScreeningHit, make_query

log = structlog.get_logger("ctexchange.console")

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
CHUNK = 50
JOB_TTL = timedelta(hours=1)
MAX_JOBS_PER_USER = 5
COLUMNS = ("id", "name", "schema", "birth_date", "nationality", "id_number")


@dataclass(frozen=True)
class Row:
    """One row of the file: its id and either a query or the error that made it unusable."""

    id: str
    query: ScreeningQuery | None
    error: CtxError | None = None


def parse_csv(data: bytes) -> list[Row]:
    """Read and validate the rows of a CSV file; raise InvalidInput for a file that is not a usable CSV."""
    if len(data) > MAX_CSV_BYTES:
        raise PayloadTooLarge(f"'file' must be at most {MAX_CSV_BYTES} bytes (got {len(data)})", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.expected("file", "a CSV file in UTF-8", "bytes that are not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "name" not in header:
        raise InvalidInput.expected(
            "file", f"a header row with a 'name' column ({', '.join(COLUMNS)})", header
        )
    reader.fieldnames = header
    rows = []
    try:
        for number, raw in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise PayloadTooLarge(f"'file' must hold at most {MAX_ROWS} rows", field="file")
            rows.append(_row(number, raw))
    except csv.Error as exc:
        raise InvalidInput(f"'file' is not valid CSV ({exc})", field="file") from None
    if not rows:
        raise InvalidInput.expected("file", "at least one row under the header", 0)
    return rows


def _row(number: int, raw: dict[str | Any, str | Any]) -> Row:
    def cell(name: str) -> str:
        value = raw.get(name)
        return value.strip() if isinstance(value, str) else ""

    row_id = cell("id") or str(number)
    try:
        query = make_query(
            cell("schema") or "Person",
            [cell("name")] if cell("name") else [],
            [cell("birth_date")] if cell("birth_date") else [],
            [cell("nationality")] if cell("nationality") else [],
            [cell("id_number")] if cell("id_number") else [],
            field=f"row[{number}]",
        )
    except InvalidInput as exc:
        return Row(row_id, None, exc)
    return Row(row_id, query)


def hit_doc(hit: ScreeningHit) -> dict[str, Any]:
    """Return a hit as the JSON of one result (as `POST /v1/screen` gives it)."""
    record = hit.record
    return {
        "entity_id": str(hit.signal.id),
        "score": round(hit.score, 4),
        "match": hit.is_match,
        "schema": record.schema.value,
        "names": [{"text": n.text, "type": n.type.value} for n in record.names],
        "listing": {"source": record.listing.source, "reference": record.listing.reference},
        "status": hit.signal.status.value,
        "marking": hit.signal.marking.value,
        "explanation": hit.explanation,
    }


Screen = Callable[[Caller, list[ScreeningQuery]], list[list[ScreeningHit]]]


@dataclass
class BatchJob:
    """One upload being screened: progress counters and the result lines so far."""

    id: str
    owner: UUID
    file_name: str
    rows: list[Row]
    created_at: datetime
    done: int = 0
    matched: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)
    finished_at: datetime | None = None
    error: str | None = None
    ended: threading.Event = field(default_factory=threading.Event)

    @property
    def total(self) -> int:
        """Rows in the file."""
        return len(self.rows)

    @property
    def is_finished(self) -> bool:
        """True once every row was screened (or the job stopped on an error)."""
        return self.finished_at is not None

    @property
    def percent(self) -> int:
        """Progress in whole percent."""
        return 100 if not self.total else self.done * 100 // self.total

    def wait(self, timeout_s: float) -> bool:
        """Wait until the job ends (at most `timeout_s`); return whether it did."""
        return self.ended.wait(timeout_s)

    def jsonl(self) -> str:
        """The results so far as JSON lines."""
        return "".join(line + "\n" for line in self.lines)


class BatchJobs:
    """The batch jobs of one app, each visible to its owner only."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._jobs: dict[str, BatchJob] = {}
        self._lock = threading.Lock()

    def start(self, caller: Caller, file_name: str, rows: list[Row], screen: Screen) -> BatchJob:
        """Start screening `rows` as `caller` in a background thread; return the job."""
        owner = caller.principal.user_id
        if owner is None:
            raise InvalidInput("batch screening needs a signed-in user", field="user")
        job = BatchJob(secrets.token_urlsafe(16), owner, file_name[:200], rows, self.clock())
        with self._lock:
            self._forget_old(owner)
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, caller, screen), daemon=True).start()
        return job

    def get(self, caller: Caller, job_id: str) -> BatchJob:
        """Return a job of the caller; NotFound for anyone else's or an unknown one (same message)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.owner != caller.principal.user_id:
            raise NotFound.of("batch", job_id[:40], "job")
        return job

    def _forget_old(self, owner: UUID) -> None:
        now = self.clock()
        expired = [
            k for k, j in self._jobs.items() if j.finished_at is not None and now - j.finished_at > JOB_TTL
        ]
        mine = sorted((j for j in self._jobs.values() if j.owner == owner), key=lambda j: j.created_at)
        expired += [j.id for j in mine[: max(0, len(mine) - MAX_JOBS_PER_USER + 1)] if j.is_finished]
        for key in expired:
            self._jobs.pop(key, None)

    def _run(self, job: BatchJob, caller: Caller, screen: Screen) -> None:
        try:
            for start in range(0, job.total, CHUNK):
                self._chunk(job, caller, screen, job.rows[start : start + CHUNK])
        except CtxError as exc:
            job.error = exc.message
        except Exception:  # a bug: the job stops and says so; the log has the trace, not the data
            log.exception("console.batch_failed", job=job.id)
            job.error = "internal error"
        finally:
            job.finished_at = self.clock()
            job.ended.set()

    def _chunk(self, job: BatchJob, caller: Caller, screen: Screen, rows: list[Row]) -> None:
        usable = [r for r in rows if r.query is not None]
        results = iter(screen(caller, [r.query for r in usable if r.query is not None]) if usable else [])
        for row in rows:
            if row.query is None:
                error = row.error or InvalidInput("unusable row")
                document: dict[str, Any] = {
                    "id": row.id,
                    "error": {"message": error.message, "field": error.field},
                }
                job.failed += 1
            else:
                hits = next(results)
                document = {"id": row.id, "results": [hit_doc(h) for h in hits]}
                job.matched += any(h.is_match for h in hits)
            job.lines.append(json.dumps(document, ensure_ascii=False))
            job.done += 1
