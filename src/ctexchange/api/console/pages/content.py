"""Content lookup: drop an image, a video or a text file, or paste text or a link; see the hits.

The lookup is `ContentService.match` as the signed-in caller, the same call as `POST /v1/match`: hits on
signals the caller may not see are not shown (at most the owner's "contact us" notice, when the bank
asks for it), and the owners learn of the sighting as with the API. A dropped text file (UTF-8, up to
`MAX_TEXT_CHARS`) is looked up as text, so near-duplicates match; any other file by its fingerprints.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.web import ConsoleRouter, CsrfDep, ExchangeDep, SignedInDep, is_htmx, render
from ctexchange.domain.roles import Action
from ctexchange.errors import InvalidInput
from ctexchange.service.access import require
from ctexchange.service.content import ContentQuery, MatchOutcome

router = ConsoleRouter()
MAX_TEXT_CHARS = 100_000
TEXT_TYPES = ("text/plain", "text/markdown", "text/csv")


@router.get("/content")
async def content_page(request: Request, session: SignedInDep) -> Response:
    """The lookup form."""
    require(session.caller, Action.MATCH)
    return render(request, "content.html", {"outcome": None, "error": None, "form": {}}, session=session)


def query_from(data: bytes, content_type: str, file_name: str, text: str, url: str) -> ContentQuery:
    """Return the lookup the form asks for: exactly one of a file, a text or a link."""
    given = [bool(data), bool(text.strip()), bool(url.strip())]
    if sum(given) != 1:
        raise InvalidInput.expected("query", "exactly one of a file, a text or a link", sum(given))
    if data:
        return _file_query(data, content_type, file_name)
    if text.strip():
        return ContentQuery(text=text)
    return ContentQuery(url=url.strip())


def _file_query(data: bytes, content_type: str, file_name: str) -> ContentQuery:
    is_text = content_type.split(";")[0].strip() in TEXT_TYPES or file_name.lower().endswith((".txt", ".md"))
    if not is_text:
        return ContentQuery(file=data)
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ContentQuery(file=data)
    if len(decoded) > MAX_TEXT_CHARS:
        raise InvalidInput(f"'file' must hold at most {MAX_TEXT_CHARS} characters of text", field="file")
    return ContentQuery(text=decoded)


@router.post("/content")
async def lookup(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    url: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    """Look the content up and show the hits (the fragment for htmx, else the whole page)."""
    data = b"" if file is None else await file.read()
    outcome: MatchOutcome | None = None
    error: InvalidInput | None = None
    try:
        query = query_from(
            data, (file.content_type or "") if file else "", (file.filename or "") if file else "", text, url
        )
        outcome = await run_in_threadpool(exchange.content.match, session.caller, query)
    except InvalidInput as exc:
        error = exc
    context: dict[str, Any] = {"outcome": outcome, "error": error, "form": {"text": text, "url": url}}
    if is_htmx(request):
        return render(request, "content_result.html", context, session=session)
    return render(request, "content.html", context, status_code=422 if error else 200, session=session)
