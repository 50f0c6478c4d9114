"""The insight engine (issue 22): the customer timeline across relations, interactions, tags,
dynamic segments with membership history, and score models (health, churn) with history and
explanations. Each part is its own module; what it needs from outside (records read as a user,
events written) it declares in a ports module and ``cairn.services`` supplies."""

from cairn.core.i18n import register_messages
from cairn.insight.messages import MESSAGES as TIMELINE_MESSAGES

register_messages(TIMELINE_MESSAGES)
