"""The app's pages, one module each: adding a page is adding a module with a module-level
`router = APIRouter()` and naming it here. Every route of a router declares `Depends(require(...))` or
`Depends(public)` (web/auth.py); create_app refuses one that does not."""

from __future__ import annotations

from typing import Final

ROUTE_MODULES: Final[tuple[str, ...]] = (
    "web.routes.session",
    "web.routes.health",
    "web.routes.today",
    "web.routes.documents",
    "web.routes.connectors",
    "web.routes.connector_authorize",
    "web.routes.audit_page",
    "web.routes.reports",
    "web.routes.queue",
    "web.routes.exception",
    "web.routes.candidates",
)
