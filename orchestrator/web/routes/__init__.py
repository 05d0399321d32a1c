"""One router per resource; each route hands one facade call to the facade thread."""

from orchestrator.web.routes import account, holdings, mandate, overview, trade

__all__ = ["account", "holdings", "mandate", "overview", "trade"]
