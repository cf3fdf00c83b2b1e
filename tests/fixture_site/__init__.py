"""A local HTTP copy of the district portal's page shapes, for tests and benchmarks."""

from .crawl_settings import fast_overrides
from .generated import GeneratedSiteData
from .server import FixtureSite, LoggedRequest
from .site_data import Article, SiteData

__all__ = [
    "Article",
    "FixtureSite",
    "GeneratedSiteData",
    "LoggedRequest",
    "SiteData",
    "fast_overrides",
]
