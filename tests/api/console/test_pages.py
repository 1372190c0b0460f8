"""The console's pages over HTTP: what each role sees and may do, through the services' access rules."""

from __future__ import annotations

import json
import re

import pytest

from ctexchange.service.content import ContentItem
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.api.console.conftest import Console, csrf
from tests.media import edited, pattern, png


@pytest.fixture
def un_list(exchange: Exchange, operator: Caller) -> None:
    """The bundled UN list, loaded into UN-SC."""
    exchange.imports.import_bundled_un_list(operator)


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found is not None
    return found.group(0)


def test_dashboard_shows_the_cards_of_the_role(console: Console) -> None:
    """An analyst gets four cards; a reviewer's requests and alerts cards follow its read rights."""
    page = console.login_as("analyst").get("/")
    assert page.status_code == 200
    for card in ("matches", "cases", "requests", "alerts"):
        assert f'id="{card}"' in page.text
    assert 'aria-current="page"' in page.text


def test_navigation_hides_pages_the_role_cannot_use(console: Console) -> None:
    """An auditor sees neither screening, content lookup nor administration in the navigation."""
    nav = console.login_as("auditor").get("/").text.split('<nav class="side"')[1].split("</nav>")[0]
    assert 'href="/"' in nav
    for path in ("/screening", "/content", "/admin"):
        assert f'href="{path}"' not in nav


def test_forbidden_page_is_403_in_the_users_language(console: Console) -> None:
    """An analyst opening administration gets the 403 page, in Russian after switching."""
    client = console.login_as("analyst")
    page = client.get("/")
    client.post("/language", data={"lang": "ru", "csrf_token": csrf(page)})
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert '<html lang="ru" dir="ltr">' in response.text
    assert "Действие запрещено" in response.text


@pytest.mark.usefixtures("un_list")
def test_screening_explains_a_hit_with_both_scripts(console: Console) -> None:
    """A name typed in Arabic finds the UN entry; the result shows the Arabic and Latin names, the
    feature table and the aligned name parts."""
    client = console.login_as("analyst")
    page = client.get("/screening")
    response = client.post(
        "/screening", data={"name": "أيمن الظواهري", "schema": "Person", "csrf_token": csrf(page)}
    )
    main = _main(response.text)
    assert response.status_code == 200
    assert "أيمن محمد ربيع الظواهري" in main and "AIMAN MUHAMMED RABI AL-ZAWAHIRI" in main
    assert "QDi.006" in main
    assert 'data-feature="name"' in main and 'class="pairs"' in main


@pytest.mark.usefixtures("un_list")
def test_screening_fragment_for_htmx_and_inline_errors(console: Console) -> None:
    """htmx gets the result fragment; a bad date is shown in it, naming the field."""
    client = console.login_as("reviewer")
    page = client.get("/screening")
    headers = {"HX-Request": "true"}
    good = client.post(
        "/screening", data={"name": "Aiman al-Zawahiri", "csrf_token": csrf(page)}, headers=headers
    )
    assert not good.text.lstrip().startswith("<!doctype") and "QDi.006" in good.text
    bad = client.post(
        "/screening",
        data={"name": "Aiman", "birth_date": "19xx", "csrf_token": csrf(page)},
        headers=headers,
    )
    assert bad.status_code == 200 and "birthDate" in bad.text and 'role="alert"' in bad.text


def test_auditors_may_not_screen(console: Console) -> None:
    """Screening is refused to an auditor, as in the API."""
    client = console.login_as("auditor")
    assert client.get("/screening").status_code == 403


@pytest.mark.usefixtures("un_list")
def test_batch_screening_runs_and_downloads_jsonl(console: Console) -> None:
    """A CSV is screened in the background; its progress ends finished and the JSON lines hold one
    object per row, refused rows with their error."""
    client = console.login_as("analyst")
    page = client.get("/screening")
    data = "id,name,birth_date,nationality\nr1,Aiman al-Zawahiri,1951,EG\nr2,Maria Musterfrau,,\nr3,,,\n"
    started = client.post(
        "/screening/batch",
        data={"csrf_token": csrf(page)},
        files={"file": ("people.csv", data.encode(), "text/csv")},
        headers={"HX-Request": "true"},
    )
    assert started.status_code == 200
    job_id = re.search(r'id="job-([^"]+)"', started.text)
    assert job_id is not None
    jobs = client.app.state.console_batches  # type: ignore[attr-defined]
    job = jobs._jobs[job_id.group(1)]
    assert job.wait(60), "the batch did not finish"
    progress = client.get(f"/screening/batch/{job.id}", headers={"HX-Request": "true"})
    assert 'data-done="3"' in progress.text and "hx-trigger" not in progress.text
    lines = [
        json.loads(line) for line in client.get(f"/screening/batch/{job.id}/results.jsonl").text.splitlines()
    ]
    assert [line["id"] for line in lines] == ["r1", "r2", "r3"]
    assert lines[0]["results"][0]["listing"]["reference"] == "QDi.006" and lines[0]["results"][0]["match"]
    assert lines[2]["error"]["field"].startswith("row[3]")


def test_batch_of_another_user_is_not_found(console: Console, exchange: Exchange, operator: Caller) -> None:
    """Another user's batch is a 404, exactly like an unknown one."""
    owner = console.login_as("analyst")
    page = owner.get("/screening")
    started = owner.post(
        "/screening/batch",
        data={"csrf_token": csrf(page)},
        files={"file": ("a.csv", b"name\nJohn Doe\n", "text/csv")},
        headers={"HX-Request": "true"},
    )
    job_id = re.search(r'id="job-([^"]+)"', started.text)
    assert job_id is not None
    other = console.login_as("analyst")
    other.app.state.console_batches = owner.app.state.console_batches  # type: ignore[attr-defined]
    theirs = other.get(f"/screening/batch/{job_id.group(1)}")
    unknown = other.get("/screening/batch/no-such-job")
    assert theirs.status_code == unknown.status_code == 404
    assert _main(theirs.text) == _main(unknown.text)


def test_batch_refuses_a_file_without_a_name_column(console: Console) -> None:
    """The CSV's header must name a `name` column; the refusal names the file field."""
    client = console.login_as("analyst")
    page = client.get("/screening")
    response = client.post(
        "/screening/batch",
        data={"csrf_token": csrf(page)},
        files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert response.status_code == 422 and "name" in response.text


def test_content_lookup_finds_a_near_duplicate_image(
    console: Console, exchange: Exchange, operator: Caller
) -> None:
    """An edited copy of a banked image is found with its distance in bits, label and bank."""
    exchange.collections.create(operator, "propaganda", "GREEN")
    exchange.content.add(operator, "propaganda", [ContentItem(file=png(pattern(3)), labels=["propaganda"])])
    client = console.login_as("analyst", org="agency")
    page = client.get("/content")
    response = client.post(
        "/content", data={"csrf_token": csrf(page)}, files={"file": ("q.jpg", edited(3), "image/jpeg")}
    )
    main = _main(response.text)
    distance = re.search(r'data-distance="(\d+)"', main)
    assert distance is not None and int(distance.group(1)) <= 31
    assert 'data-label="propaganda"' in main and "propaganda" in main


def test_content_lookup_hides_signals_the_caller_may_not_see(
    console: Console, exchange: Exchange, operator: Caller
) -> None:
    """A hit on another organization's AMBER signal shows nothing to the caller."""
    exchange.collections.create(operator, "private", "AMBER")
    exchange.content.add(
        operator, "private", [ContentItem(values={"text": "the secret banked manifesto text " * 5})]
    )
    client = console.login_as("analyst", org="agency")
    page = client.get("/content")
    response = client.post(
        "/content", data={"csrf_token": csrf(page), "text": "the secret banked manifesto text " * 5}
    )
    main = _main(response.text)
    assert "private" not in main and "data-signal=" not in main


def test_content_lookup_needs_exactly_one_input(console: Console) -> None:
    """Both a text and a link, or nothing, is refused naming the query."""
    client = console.login_as("analyst")
    page = client.get("/content")
    response = client.post(
        "/content", data={"csrf_token": csrf(page), "text": "a", "url": "https://x.example/"}
    )
    assert response.status_code == 422 and "exactly one" in response.text


def test_admin_creates_a_user_and_a_key_shown_once(console: Console, exchange: Exchange) -> None:
    """An admin creates a user, sets its password and makes a key whose text appears once."""
    client = console.login_as("admin")
    page = client.get("/admin/users")
    created = client.post("/admin/users", data={"name": "omar", "role": "reviewer", "csrf_token": csrf(page)})
    assert created.status_code == 200 and 'data-user="omar"' in created.text
    user = next(u for u in exchange.members.users(console.operator) if u.name == "omar")
    password = client.post(
        f"/admin/users/{user.id}/password", data={"password": "a fine new password", "csrf_token": csrf(page)}
    )
    assert password.status_code == 200
    keyed = client.post(
        "/admin/keys", data={"user": str(user.id), "name": "pipeline", "csrf_token": csrf(page)}
    )
    key = re.search(r'id="new-key" dir="ltr">(ctx_[0-9a-f]{12}_[0-9a-f]{64})<', keyed.text)
    assert key is not None
    assert exchange.auth.authenticate(key.group(1), "t").principal.name == "omar"
    assert key.group(1) not in client.get("/admin/keys").text


def test_admin_refusals_are_shown_on_the_page(console: Console) -> None:
    """A taken user name is a 409 with the service's message; a short password a 422."""
    client = console.login_as("admin", name="boss")
    page = client.get("/admin/users")
    again = client.post("/admin/users", data={"name": "boss", "role": "analyst", "csrf_token": csrf(page)})
    assert again.status_code == 409 and "exists already" in again.text


def test_member_admin_sees_only_its_organization(
    console: Console, exchange: Exchange, operator: Caller
) -> None:
    """The admin of a member organization lists its own users and keys, and cannot create organizations."""
    console.login_as("analyst", org="coalition", name="coalition-analyst")
    client = console.login_as("admin", org="agency")
    users = client.get("/admin/users").text
    assert "coalition-analyst" not in users
    page = client.get("/admin/orgs")
    refused = client.post("/admin/orgs", data={"name": "new-org", "csrf_token": csrf(page)})
    assert refused.status_code == 403
    assert "new-org" not in [o.name for o in exchange.members.orgs(operator)]


@pytest.mark.usefixtures("un_list")
def test_list_import_reports_counts(console: Console) -> None:
    """Importing the bundled list again reports every entry unchanged; the collection shows its entries."""
    client = console.login_as("admin")
    page = client.get("/admin/imports")
    response = client.post("/admin/imports", data={"bundled": "true", "csrf_token": csrf(page)})
    assert response.status_code == 200
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', response.text))
    assert counts["added"] == "0" and counts["delisted"] == "0" and int(counts["unchanged"]) > 500
    assert 'data-collection="UN-SC"' in response.text


def test_dashboard_lists_matches_of_our_signals(
    console: Console, exchange: Exchange, operator: Caller
) -> None:
    """When another organization matches one of our signals, our dashboard shows the match with the
    signal's reference and label, and the matching organization."""
    exchange.collections.create(operator, "propaganda", "GREEN")
    item = ContentItem(file=png(pattern(5)), labels=["propaganda"], external_id="gifct-0005")
    exchange.content.add(operator, "propaganda", [item])
    platform = console.login_as("analyst", org="platform")
    page = platform.get("/content")
    platform.post(
        "/content", data={"csrf_token": csrf(page)}, files={"file": ("q.png", png(pattern(5)), "image/png")}
    )
    card = console.login_as("analyst").get("/").text.split('id="matches"')[1].split("</section>")[0]
    assert 'data-count="3"' in card  # the file's MD5, SHA-256 and PDQ signals each hit
    assert "gifct-0005" in card and "platform" in card and "propaganda" in card
    other = console.login_as("analyst", org="bystander").get("/").text.split('id="matches"')[1]
    assert 'data-count="0"' in other.split("</section>")[0]
