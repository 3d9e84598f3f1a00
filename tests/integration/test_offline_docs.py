"""``/docs`` and ``/redoc`` open with no internet: every asset they reference is
served by Safeguard itself, and none is fetched from elsewhere."""

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.support.embedded import embedded
from tests.support.ingest import make_settings

REFERENCE = re.compile(r"""(?:src|href|url)\s*[=:(]\s*['"]([^'"]+)['"]""")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded(make_settings(tmp_path_factory.mktemp("docs"))) as base:
        yield base


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_reference_only_assets_served_here(url: str, page: str) -> None:
    html = httpx.get(f"{url}{page}").text

    references = REFERENCE.findall(html)

    assert any(r.endswith(".js") for r in references), references
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    for reference in references:
        assert reference.startswith("/"), reference
        assert httpx.get(f"{url}{reference}").status_code == 200, reference


def test_the_console_pages_reference_nothing_outside(url: str) -> None:
    html = httpx.get(f"{url}/console/sign-in").text

    assert "http://" not in html and "https://" not in html
    for reference in (r for r in REFERENCE.findall(html) if not r.startswith("#")):
        response = httpx.get(f"{url}{reference}", follow_redirects=True)
        assert response.status_code == 200, reference
