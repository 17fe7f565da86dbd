"""WordPress plugins whose widgets land inside the article content of news sites: data only.

tagDiv sites run the same few dozen plugins, and each marks its widget with classes of its own (its
name or its prefix: ``kk-star-ratings``, ``ez-toc``, ``mc4wp-form``, ``yarpp-related`` …). Their
text is never article text: a star rating, a table of contents, a sign-up form, a donation appeal,
an affiliate box with its button, a "related posts" box, a share bar, a poll. The body's first
pipeline step (pipelines/drop_cross_promo.py) removes every element that one of these selectors
matches and counts each removal by plugin, as the Scrapy stat ``body/removed/plugin/<plugin>``; the
links of a related-posts widget are kept in the record's ``related``.

Each selector names one element by its own tag, classes, id or attributes (no descendant
combinators): ``SelectorGroups`` matches them in one walk of the body, and refuses anything else
when the table is loaded. The class names were read from each plugin's own templates and
documentation, or from the saved pages in fixtures/ where the plugin is named (kk Star Ratings,
Tasty Recipes, EasyRecipe, Easy Table of Contents, Easy Social Share Buttons, WP Last Modified Info).

What is kept on purpose: the recipe itself inside a recipe card (ingredients, instructions, notes
are the article's content on a recipe site); only the card's rating, buttons and prompts go. A
plugin's footnotes (a list of sources) are article text and are not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WidgetKind(StrEnum):
    RATING = "rating"
    TABLE_OF_CONTENTS = "table_of_contents"
    NEWSLETTER = "newsletter"
    DONATION = "donation"  # donations, memberships, paywall prompts
    AFFILIATE = "affiliate"  # affiliate and presale boxes, product buttons, their disclosures
    RELATED_POSTS = "related_posts"
    SHARE = "share"
    POLL = "poll"
    RECIPE_TOOLS = "recipe_tools"  # a recipe card's buttons and prompts (not the recipe)
    META_LINE = "meta_line"  # "Last updated on …", reading time, print buttons


@dataclass(frozen=True)
class PluginWidget:
    """One plugin's widget(s) inside the content."""

    plugin: str  # a stable slug, the last part of the stat key
    name: str  # the plugin's name as its authors spell it
    kind: WidgetKind
    selectors: tuple[str, ...]  # each names one element (see the module docstring)

    @property
    def keeps_links(self) -> bool:
        """A related-posts widget's links are the record's ``related``."""
        return self.kind is WidgetKind.RELATED_POSTS


K = WidgetKind

PLUGIN_WIDGETS: tuple[PluginWidget, ...] = (
    # -- ratings -------------------------------------------------------------------------------
    PluginWidget("kk-star-ratings", "kk Star Ratings", K.RATING, (".kk-star-ratings",)),
    PluginWidget("wp-postratings", "WP-PostRatings", K.RATING, (".post-ratings", ".post-ratings-loading")),
    PluginWidget(
        "yasr",
        "Yasr – Yet Another Stars Rating",
        K.RATING,
        (
            ".yasr-visitor-votes",
            ".yasr-overall-rating",
            ".yasr-vv-stars-title-container",
            ".yasr-custom-text-vv-before",
            ".yasr-custom-text-before-overall",
        ),
    ),
    PluginWidget(
        "rate-my-post",
        "Rate my Post (FeedbackWP)",
        K.RATING,
        (".rmp-widgets-container", ".rmp-rating-widget", ".rmp-results-widget"),
    ),
    PluginWidget("gd-rating-system", "GD Rating System", K.RATING, (".gdrts-rating-block", ".gdrts-rating-stars")),
    PluginWidget("wp-review", "WP Review", K.RATING, (".wp-review-user-rating", "#wp-review-user-rating")),
    PluginWidget(
        "tasty-recipes-rating",
        "Tasty Recipes (rating)",
        K.RATING,
        (".tasty-recipes-rating", ".tasty-recipes-ratings-buttons"),
    ),
    PluginWidget(
        "wp-recipe-maker-rating", "WP Recipe Maker (rating)", K.RATING, (".wprm-recipe-rating", ".wprm-comment-rating")
    ),
    # -- tables of contents ----------------------------------------------------------------------
    PluginWidget(
        "easy-table-of-contents",
        "Easy Table of Contents",
        K.TABLE_OF_CONTENTS,
        ("#ez-toc-container", ".ez-toc-container", ".ez-toc-widget-container"),
    ),
    PluginWidget("luckywp-toc", "LuckyWP Table of Contents", K.TABLE_OF_CONTENTS, (".lwptoc",)),
    PluginWidget(
        "rank-math-toc",
        "Rank Math (Table of Contents block)",
        K.TABLE_OF_CONTENTS,
        (".wp-block-rank-math-toc-block", "#rank-math-toc"),
    ),
    PluginWidget(
        "yoast-toc", "Yoast SEO (Table of Contents block)", K.TABLE_OF_CONTENTS, (".yoast-table-of-contents",)
    ),
    PluginWidget("table-of-contents-plus", "Table of Contents Plus", K.TABLE_OF_CONTENTS, ("#toc_container",)),
    PluginWidget("fixed-toc", "Fixed TOC", K.TABLE_OF_CONTENTS, ("#ftwp-container", "#ftwp-container-outer")),
    # -- newsletter forms ----------------------------------------------------------------------------
    PluginWidget("mailchimp-for-wp", "MC4WP: Mailchimp for WordPress", K.NEWSLETTER, (".mc4wp-form",)),
    PluginWidget(
        "newsletter", "Newsletter (The Newsletter Plugin)", K.NEWSLETTER, (".tnp", ".tnp-subscription", ".tnp-widget")
    ),
    PluginWidget("mailpoet", "MailPoet", K.NEWSLETTER, ('[class*="mailpoet_form"]',)),
    PluginWidget(
        "jetpack-subscriptions",
        "Jetpack (Subscriptions)",
        K.NEWSLETTER,
        (".jetpack_subscription_widget", ".wp-block-jetpack-subscriptions"),
    ),
    PluginWidget("convertkit", "Kit (ConvertKit)", K.NEWSLETTER, (".convertkit-form", ".formkit-form", ".ck_form")),
    PluginWidget("thrive-leads", "Thrive Leads", K.NEWSLETTER, (".tve-leads-in-content", ".thrv-leads-form-box")),
    # -- donations and memberships -----------------------------------------------------------------
    PluginWidget("givewp", "GiveWP", K.DONATION, (".give-form-wrap", ".give-embed-form-wrapper", ".give-form")),
    PluginWidget("patreon", "Patreon WordPress", K.DONATION, ('[class*="patreon"]',)),
    PluginWidget("buy-me-a-coffee", "Buy Me a Coffee", K.DONATION, (".bmc-btn-container", ".bmc-button")),
    PluginWidget("ko-fi", "Ko-fi", K.DONATION, ('[class*="kofi"]', '[class*="ko-fi"]')),
    PluginWidget("paypal-donations", "PayPal Donations", K.DONATION, (".paypal-donations",)),
    PluginWidget("leaky-paywall", "Leaky Paywall", K.DONATION, (".leaky_paywall_message_wrap",)),
    # -- affiliate and presale boxes ------------------------------------------------------------------
    PluginWidget("aawp", "AAWP (Amazon Affiliate WordPress Plugin)", K.AFFILIATE, (".aawp",)),
    PluginWidget("lasso", "Lasso", K.AFFILIATE, (".lasso-container", ".lasso-display")),
    PluginWidget("amalinks-pro", "AmaLinks Pro", K.AFFILIATE, ('[class*="amalinkspro"]',)),
    PluginWidget("content-egg", "Content Egg", K.AFFILIATE, (".egg-container",)),
    # Not a plugin: WordPress core's Buttons and File blocks, calls to action and download widgets
    # (a button's text is never prose), and the affiliate-disclosure notices themes and plugins print.
    PluginWidget(
        "core-buttons", "WordPress core (Buttons block)", K.AFFILIATE, (".wp-block-buttons", ".wp-block-button")
    ),
    PluginWidget("core-file", "WordPress core (File block)", K.AFFILIATE, (".wp-block-file",)),
    PluginWidget(
        "disclosure", "affiliate disclosure notices", K.AFFILIATE, ('[class*="disclaimer"]', '[class*="disclosure"]')
    ),
    # -- related posts (their links are kept in `related`) -------------------------------------------
    PluginWidget("yarpp", "YARPP – Yet Another Related Posts Plugin", K.RELATED_POSTS, (".yarpp-related", ".yarpp")),
    PluginWidget(
        "jetpack-related-posts", "Jetpack (Related Posts)", K.RELATED_POSTS, ("#jp-relatedposts", ".jp-relatedposts")
    ),
    PluginWidget("contextual-related-posts", "Contextual Related Posts", K.RELATED_POSTS, (".crp_related",)),
    PluginWidget("related-posts-for-wp", "Related Posts for WP", K.RELATED_POSTS, (".rp4wp-related-posts",)),
    PluginWidget("inline-related-posts", "Inline Related Posts", K.RELATED_POSTS, ('[class*="irp-"]',)),
    # WordPress's own embed card of a post (of this site or another): a read-also box.
    PluginWidget(
        "core-post-embed",
        "WordPress core (post embed card)",
        K.RELATED_POSTS,
        ("blockquote.wp-embedded-content", ".wp-block-embed-wordpress", ".is-type-wp-embed"),
    ),
    # -- share bars ------------------------------------------------------------------------------------
    PluginWidget(
        "social-warfare",
        "Social Warfare",
        K.SHARE,
        (".swp_social_panel", ".swp-content-locator", ".swp-hidden-panel-wrap"),
    ),
    PluginWidget("shareaholic", "Shareaholic", K.SHARE, (".shareaholic-canvas",)),
    PluginWidget("addtoany", "AddToAny", K.SHARE, (".addtoany_share_save_container", ".a2a_kit")),
    PluginWidget(
        "easy-social-share-buttons", "Easy Social Share Buttons", K.SHARE, ('[class*="essb_"]', '[class*="essb-"]')
    ),
    PluginWidget("jetpack-sharing", "Jetpack (Sharing)", K.SHARE, (".sharedaddy", ".sd-sharing-enabled")),
    PluginWidget("sassy-social-share", "Sassy Social Share", K.SHARE, ('[class*="heateor_sss"]',)),
    PluginWidget("shared-counts", "Shared Counts", K.SHARE, (".shared-counts-wrap",)),
    PluginWidget("social-snap", "Social Snap", K.SHARE, (".ss-inline-share-wrapper",)),
    PluginWidget("monarch", "Monarch", K.SHARE, (".et_social_inline",)),
    PluginWidget("shariff", "Shariff Wrapper", K.SHARE, (".shariff",)),
    # -- polls ---------------------------------------------------------------------------------------------
    PluginWidget("wp-polls", "WP-Polls", K.POLL, (".wp-polls", ".wp-polls-loading")),
    PluginWidget(
        "crowdsignal",
        "Crowdsignal (Polldaddy)",
        K.POLL,
        (".pds-box", '[id^="PDI_container"]', ".wp-block-crowdsignal-forms-poll"),
    ),
    PluginWidget("yop-poll", "YOP Poll", K.POLL, (".basic-yop-poll-container", ".bootstrap-yop")),
    PluginWidget("totalpoll", "TotalPoll", K.POLL, (".totalpoll-wrapper",)),
    # -- recipe cards: the tools around the recipe, not the recipe -----------------------------------------
    PluginWidget(
        "tasty-recipes",
        "Tasty Recipes",
        K.RECIPE_TOOLS,
        (
            ".tasty-recipes-quick-links",
            ".tasty-recipes-jump-link",
            ".tasty-recipes-print-button",
            ".tasty-recipes-buttons",
            ".tasty-recipes-units-scale-container",
            ".tasty-recipes-cook-mode",
            ".tasty-recipes-entry-footer",
        ),
    ),
    PluginWidget(
        "wp-recipe-maker",
        "WP Recipe Maker",
        K.RECIPE_TOOLS,
        (
            ".wprm-recipe-snippet",
            ".wprm-recipe-jump",
            ".wprm-recipe-print",
            ".wprm-recipe-pin",
            ".wprm-recipe-jump-to-comments",
            ".wprm-call-to-action",
            ".wprm-unit-conversion-container",
            ".wprm-recipe-adjustable-servings-container",
        ),
    ),
    PluginWidget("easyrecipe", "EasyRecipe", K.RECIPE_TOOLS, (".ERSSavePrint", ".endeasyrecipe", ".ERSRatings")),
    # -- meta lines inside the content -----------------------------------------------------------------
    PluginWidget("wp-last-modified-info", "WP Last Modified Info", K.META_LINE, (".post-modified-info",)),
    PluginWidget("reading-time-wp", "Reading Time WP", K.META_LINE, (".rt-reading-time", ".span-reading-time")),
    PluginWidget("print-friendly", "Print Friendly & PDF", K.META_LINE, (".printfriendly", ".pf-button")),
)
