"""Feed export: atomic local file storage for Scrapy's feed exports (JSON Lines)."""
