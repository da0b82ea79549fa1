"""Admin: how a message will read. ``static/admin.js`` posts the text of a Markdown field
here as the operator types and shows the answer under it; the HTML is rendered and
sanitised exactly as on the status page and in the mail (``statusmail.markdown``)."""
from flask import jsonify, request

from ..markdown import to_html, to_text
from ..services.status import TEXT_MAX
from . import bp


@bp.route("/markdown-preview", methods=["POST"])
def markdown_preview():
    """``text`` (form field, CSRF-protected like every admin POST) → ``{"html", "text"}``."""
    text = request.form.get("text", "")
    if len(text) > TEXT_MAX:
        return jsonify(error=f"Keep this under {TEXT_MAX:,} characters."), 400
    return jsonify(html=str(to_html(text)), text=to_text(text))
