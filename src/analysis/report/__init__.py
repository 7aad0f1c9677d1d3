"""The policy brief: Markdown sections read from a run's result tables, in Bahasa Indonesia or English.

``reports/brief.ipynb`` calls :mod:`analysis.report.brief`; ``analysis brief`` (:mod:`analysis.report.cli`)
makes per-unit briefs; :mod:`analysis.render` turns an executed brief into HTML and PDF.
Modules: ``i18n`` (every string, both languages), ``fmt`` (numbers and dates per language),
``sentences`` (findings in words), ``disclosure`` (small cells, identifier guard), ``figures``
(figures in the brief's language), ``results`` (read-only run access), ``markdown`` (tables, figures).
"""
