"""The report: the results bundle, Jinja2 text, Altair charts and their display, the chapters'
API and the citation."""
