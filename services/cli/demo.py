"""``safeguard demo``: post a scenario (the Child K case by default) to a running
server through the agency endpoints, exactly as the agencies' systems would."""

import argparse
import sys
import time
from collections.abc import Mapping

import httpx

from infra.config import Settings
from services.cli.options import add_settings_arguments, settings_from
from services.projection.scenarios import SCENARIOS, load_scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_settings_arguments(parser)
    parser.add_argument("--url", help="server base URL (default from config)")
    parser.add_argument("--scenario", default="child-k", choices=sorted(SCENARIOS))
    parser.add_argument(
        "--historical",
        action="store_true",
        help="post as a bulk import of historical events: findings page nobody"
        " (events of the last ingest.historical_horizon need a can_import key)",
    )


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    base_url = args.url or settings.base_url
    try:
        posted = post_scenario(
            base_url, agency_keys(settings), args.scenario, historical=args.historical
        )
    except DemoError as exc:
        print(f"safeguard demo: {exc}", file=sys.stderr)
        return 1
    print(f"safeguard demo: posted {posted} events of {args.scenario!r} to {base_url}")
    print(f"  open the picture: {base_url}/cases/{args.scenario}/picture  (reviewer key)")
    return 0


class DemoError(Exception):
    pass


def wait_until_up(base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise DemoError(f"{base_url} did not come up within {timeout:.0f}s")
        time.sleep(0.1)


def agency_keys(settings: Settings) -> dict[str, str]:
    """Each agency's first plain-text key (a dev config has one per agency)."""
    keys: dict[str, str] = {}
    for credential in settings.credentials:
        if credential.role == "agency" and credential.agency and credential.key:
            keys.setdefault(str(credential.agency), credential.key.get_secret_value())
    return keys


def post_scenario(
    base_url: str,
    keys: Mapping[str, str],
    name: str = "child-k",
    *,
    historical: bool = False,
    client: httpx.Client | None = None,
) -> int:
    """Post every event of the scenario in order; an identical retry is fine."""
    params = {"import": "historical"} if historical else {}
    scenario = load_scenario(name)
    owned = client is None
    http = client or httpx.Client(timeout=30)
    try:
        for item in scenario:
            key = keys.get(item.agency)
            if key is None:
                raise DemoError(f"no plain-text agency key for {item.agency} in the config")
            response = http.post(
                f"{base_url}/{item.agency}/events",
                json=item.envelope,
                params=params,
                headers={"Authorization": f"Bearer {key}"},
            )
            if response.status_code not in (200, 201):
                raise DemoError(
                    f"{item.slug or item.event_id}: HTTP {response.status_code} {response.text}"
                )
    finally:
        if owned:
            http.close()
    return len(scenario)
