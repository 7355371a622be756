"""Drop repeated <script> entries from each page's head.

sphinx-thebe adds its inline configuration script once per `env-before-read-docs` event, and with
Jupyter Book 1 that event can fire twice in one build; the second copy redeclares a `const` and the
browser reports "Identifier 'THEBE_JS_URL' has already been declared" on every page.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for js in context.get("script_files", []):
        attrs = getattr(js, "attributes", {})
        key = (getattr(js, "filename", str(js)) or "", attrs.get("body", ""), attrs.get("async", ""))
        if key in seen:
            continue
        seen.add(key)
        kept.append(js)
    if "script_files" in context:
        context["script_files"][:] = kept


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
