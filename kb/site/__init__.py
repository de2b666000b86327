"""The static site: pages generated from the KB into .staging/docs, built by MkDocs + Material
(``mtlkb site build`` / ``mtlkb site serve``). mkdocs is imported only inside build and serve."""
