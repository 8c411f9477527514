"""The desk's pages, one module per area; each exposes an `APIRouter` named `router`."""
