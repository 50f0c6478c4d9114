"""The form engine's runtime (表单): a table's forms (its default form and its variants, each a
layout with linkage rules), the linkage runtime record writes and tasks run, form publishing
(表单发布: public addresses, settings, signed prefill links) and a visitor's submission.

What a form's rules are and how they run on values is ``cairn.meta`` (``form_rules``,
``form_runtime``, ``public_forms``); what the engine needs from outside (units of work, a
record written as a user) is declared in ``ports.py`` and supplied by ``cairn.services``.
Its messages are the ``form.*`` and ``public_form.*`` keys of ``cairn.meta``."""

from cairn.forms.offering import CHANNEL, Offering, public_path
from cairn.forms.runtime import DEFAULT
from cairn.forms.submissions import Submissions

__all__ = ["CHANNEL", "DEFAULT", "Offering", "Submissions", "public_path"]
