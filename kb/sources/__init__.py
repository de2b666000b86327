"""Sources of paper records, one module each behind one interface (:mod:`kb.sources.base`,
asked in order by :mod:`kb.sources.registry`): arXiv and Crossref (DOIs) online; BibTeX,
CSL-JSON and mtlkb JSON files. :mod:`kb.sources.bibtex_writer` is the one BibTeX writer."""
