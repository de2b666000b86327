"""Sources of paper records: the arXiv API (:mod:`kb.sources.arxiv_source`) and BibTeX files."""
