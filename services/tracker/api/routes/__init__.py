"""One FastAPI router per resource; `api.main` includes them."""
