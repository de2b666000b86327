"""The source interface: every source is one object with ``name``, ``match`` and ``fetch``, and
the registry asks them in order (references for ``add``, file formats for ``import``)."""

from __future__ import annotations

import json

from kb.sources.base import FileSource, Source
from kb.sources.registry import file_sources, read_files, reference_sources


def test_every_registered_source_has_the_interface():
    refs, files = reference_sources(), file_sources()
    assert [s.name for s in refs] == ["arXiv", "Crossref"]
    assert [s.name for s in files] == ["CSL-JSON", "mtlkb JSON", "BibTeX"]
    assert all(isinstance(s, Source) for s in refs)
    assert all(isinstance(s, FileSource) for s in files)


def test_one_bibtex_namespace_across_files_whatever_comes_between():
    macros = '@string{jmlr = "Journal of Machine Learning Research"}\n'
    child = "@inproceedings{c1, title = {Child}, author = {A, B}, crossref = {p1}}\n"
    parent = ("@proceedings{p1, title = {Proceedings of Somewhere 2020}, year = 2020}\n"
              "@article{a1, title = {Uses a macro}, journal = jmlr, year = 2019}\n")
    csl = json.dumps([{"id": "x", "type": "book", "title": "A Book",
                       "issued": {"date-parts": [["2001"]]}}])
    out = read_files([("m.bib", macros), ("c.bib", child), ("lib.json", csl),
                      ("p.bib", parent)])
    assert not out.errors, [str(p) for p in out.problems]
    papers = {r.paper.key or r.paper.title: r.paper for r in out.records}
    assert papers["c1"].year == 2020 and papers["c1"].venue == "Proceedings of Somewhere 2020"
    assert papers["a1"].venue == "Journal of Machine Learning Research"
    assert papers["x"].year == 2001 and papers["x"].source == "csl-json"
    # sources in the order their first file came: BibTeX (m.bib) before CSL-JSON
    assert [r.paper.source for r in out.records][-1] == "csl-json"
