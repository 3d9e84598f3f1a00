"""Signing in to the web console over real HTTP, as a browser would: fetch the
form, post the key with the form's token, keep the session cookie.

The cookie is ``Secure``; httpx (rightly) will not send a Secure cookie over plain
http, so these helpers send it in a ``Cookie`` header themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no csrf_token field on the page"
    return match[1]


@dataclass
class Browser:
    """One signed-in person: ``get``/``post`` carry their session cookie."""

    url: str
    session_id: str

    @property
    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"safeguard_session={self.session_id}"}

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers=self.cookie, **kw)

    def post(self, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", data=data, headers={**self.cookie, **headers})

    def submit(self, page: str, action: str, fields: dict[str, str]) -> httpx.Response:
        """Post a form of ``page`` with that page's CSRF token, from this site."""
        token = form_token(self.get(page).text)
        return self.post(action, {"csrf_token": token, **fields}, Origin=self.url)


def sign_in_response(url: str, key: str, next_page: str = "/console") -> httpx.Response:
    page = httpx.get(f"{url}/console/sign-in")
    return httpx.post(
        f"{url}/console/sign-in",
        data={"csrf_token": form_token(page.text), "key": key, "next": next_page},
        headers={
            "Cookie": f"safeguard_sign_in={page.cookies['safeguard_sign_in']}",
            "Origin": url,
        },
    )


def sign_in(url: str, key: str) -> Browser:
    response = sign_in_response(url, key)
    assert response.status_code == 303, response.text
    return Browser(url, response.cookies["safeguard_session"])
