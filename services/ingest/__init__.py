"""The agency ingest service, one factory shared by every agency
(police, edt, health, education, children_social_care)."""

from services.ingest.app import create_agency_app
from services.ingest.router import include_ingest
from services.ingest.schemas import schemas_router

__all__ = ["create_agency_app", "include_ingest", "schemas_router"]
