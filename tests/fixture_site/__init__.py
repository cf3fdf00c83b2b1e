"""A local HTTP copy of the district portal's page shapes, for tests and benchmarks."""

from .server import FixtureSite, LoggedRequest
from .site_data import Article, SiteData

__all__ = ["Article", "FixtureSite", "LoggedRequest", "SiteData"]
