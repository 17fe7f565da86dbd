"""The Inquirer (theinquirer.fr): French wire-news aggregator, tagDiv Newspaper theme."""

from inquirer_crawler.sites.config import SiteConfig

INQUIRER_FR = SiteConfig(
    domains=("theinquirer.fr",),
    base_url="https://theinquirer.fr/",
    sections=("internationales", "economie", "societe", "sciences"),
    language="fr",
    timezone="Europe/Paris",
    notes="Sections read from the seed page's breadcrumb; the live site was not reachable when written.",
)
