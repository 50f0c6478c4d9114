"""The insight engine (issue 22): the customer timeline across relations, interactions, tags,
dynamic segments with membership history, and score models (health, churn) with history and
explanations. Each part is its own module; what it needs from outside (records read as a user,
events written) it declares in a ports module and ``cairn.services`` supplies."""

from cairn.core.i18n import register_messages
from cairn.insight.interactions import MESSAGES as INTERACTION_MESSAGES
from cairn.insight.learned_messages import MESSAGES as LEARNED_MESSAGES
from cairn.insight.messages import MESSAGES
from cairn.insight.tag_messages import MESSAGES as TAG_MESSAGES
from cairn.insight.timeline_messages import MESSAGES as TIMELINE_MESSAGES

register_messages(MESSAGES)
register_messages(LEARNED_MESSAGES)
register_messages(TAG_MESSAGES)
register_messages(INTERACTION_MESSAGES)
register_messages(TIMELINE_MESSAGES)
