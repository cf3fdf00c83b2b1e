"""Scrapy spiders of the crawler (SPIDER_MODULES points here)."""
