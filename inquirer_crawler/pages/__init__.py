"""Page code: everything read from one HTML string, no Scrapy engine needed.

dom.py parses (bytes -> lxml tree) and serialises; simple_css.py matches simple selectors in one walk;
article.py reads every field of an article page (ArticlePage); listing.py the article links and
pagination of a listing; dates.py, jsonld.py and text.py are their helpers; changes.py reads sitemaps,
REST answers and feeds.
"""
