"""inquirer-crawler: tagDiv "Newspaper" article pages -> clean JSONL records.

The data flow, one folder or module per stage:

    sites/                 what a site is: domains, sections, language, time zone (data only)
       │
    spiders/               1. discovery: which pages to request (newspaper, inquirer)
       │                      replay.py answers from a wget mirror instead of the network
    pages/                 2. extraction: HTML string -> ArticleItem (items.py), no engine needed
       │
    pipelines/             3. drop_cross_promo -> clean_body -> normalize -> validate -> dedupe
       │
    settings.FEEDS         4. feed export: JSON Lines, one record per line (schema/article.schema.json)
"""
