"""``scrapy crawl inquirer``: the generic Newspaper spider bound to theinquirer.fr's registry entry."""

from inquirer_crawler.sites.inquirer_fr import INQUIRER_FR
from inquirer_crawler.spiders.newspaper import NewspaperSpider


class InquirerSpider(NewspaperSpider):
    name = "inquirer"
    bound_site = INQUIRER_FR
