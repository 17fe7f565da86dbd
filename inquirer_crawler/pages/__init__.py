"""Extraction: page objects built from an HTML string and a URL, no Scrapy engine needed."""

from inquirer_crawler.pages.article import ArticlePage

__all__ = ["ArticlePage"]
