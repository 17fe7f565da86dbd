"""Discovery: which URLs a crawl requests (URL cleaning, the site's URL policy, change sources)."""
