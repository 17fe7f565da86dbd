"""Item pipelines, in data-flow order (settings.ITEM_PIPELINES writes it once):

1. drop_cross_promo: junk out of the body, promoted links into ``related`` (needs the class names);
2. clean_body: flatten, sanitise with nh3, derive ``body``, ``images``, ``word_count``;
3. normalize: clean text, canonical URLs, ISO 8601 dates with offset;
4. validate: drop records without title, body or date, counting the reason;
5. dedupe: last, so only records that pass validation are remembered.
"""

from inquirer_crawler.pipelines.clean_body import CleanBodyPipeline
from inquirer_crawler.pipelines.dedupe import DedupePipeline
from inquirer_crawler.pipelines.drop_cross_promo import DropCrossPromoPipeline
from inquirer_crawler.pipelines.normalize import NormalizePipeline
from inquirer_crawler.pipelines.validate import ValidatePipeline

__all__ = ["CleanBodyPipeline", "DedupePipeline", "DropCrossPromoPipeline", "NormalizePipeline", "ValidatePipeline"]
