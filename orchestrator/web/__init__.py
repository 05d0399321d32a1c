"""The index page: a FastAPI app over the facade (`orchestrator.service`), its static page,
and `serve()` for `indexvault web`. Imports only the facade, its models and errors (the
import contract in tests/test_architecture.py)."""

from orchestrator.web.app import LOCAL_HOSTS, STATIC_DIR, create_app
from orchestrator.web.facade_thread import FacadeThread
from orchestrator.web.state import PageState

__all__ = ["LOCAL_HOSTS", "STATIC_DIR", "FacadeThread", "PageState", "create_app"]
