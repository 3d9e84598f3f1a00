"""The exported JSON Schemas match the contract, and the CLI keeps them so."""

import argparse
import json
from pathlib import Path

import pytest

from events import CATALOG
from events.jsonschema import SCHEMA_DIR, schema_files
from services.cli import export_schemas


def test_schema_files_are_up_to_date_run_safeguard_export_schemas_if_not() -> None:
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.json")}

    assert on_disk == schema_files()


def test_there_is_one_schema_per_catalog_type_naming_its_type() -> None:
    for name in CATALOG:
        schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text())
        assert schema["properties"]["type"]["const"] == name
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("stale", ["missing", "edited", "extra"])
def test_check_mode_fails_on_a_stale_directory_and_export_repairs_it(
    tmp_path: Path, stale: str
) -> None:
    args = argparse.Namespace(out=tmp_path, check=False)
    export_schemas.run(args)
    target = tmp_path / "disclosure.made.json"
    if stale == "missing":
        target.unlink()
    elif stale == "edited":
        target.write_text("{}")
    else:
        (tmp_path / "retired.type.json").write_text("{}")

    assert export_schemas.run(argparse.Namespace(out=tmp_path, check=True)) == 1
    assert export_schemas.run(args) == 0
    assert export_schemas.run(argparse.Namespace(out=tmp_path, check=True)) == 0
