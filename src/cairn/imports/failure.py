"""Why a job stopped, as its owner reads it in the job (and the error of a failed run)."""

from __future__ import annotations

from cairn.core import CairnError, Message
from cairn.core.i18n import render


def describe(e: Exception, language: str) -> str:
    """Why a job stopped, in the language it was started in: an error's message and its
    field messages (a permission taken away, a table or field gone), or the exception."""
    if isinstance(e, CairnError):
        parts = [render(e.message, language)]
        for loc, messages in getattr(e, "field_errors", {}).items():
            parts.extend(f"{loc}: {render(m, language)}" for m in messages)
        detail = " ".join(parts)
    else:
        detail = f"{type(e).__name__}: {e}"
    return render(Message("import.failed", {"detail": detail[:1000]}), language)
