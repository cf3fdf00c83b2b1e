"""A local HTTP copy of the district portal's page shapes, for tests and benchmarks."""

from .crawl_settings import fast_environment, fast_overrides
from .generated import GeneratedSiteData
from .server import Fault, FixtureSite, LoggedRequest, is_article_path, is_list_path
from .site_data import Article, SiteData

__all__ = [
    "Article",
    "Fault",
    "FixtureSite",
    "GeneratedSiteData",
    "LoggedRequest",
    "is_article_path",
    "is_list_path",
    "SiteData",
    "fast_environment",
    "fast_overrides",
]
