"""The site's results page: methods x metrics with 95% intervals over seeds and the paper's
column, from a sweep's runs or from one run's per-seed numbers; text from runs is escaped."""

from __future__ import annotations

from kb.config import KB
from kb.models.run import Run
from kb.repro.sweep import interval
from kb.site.escape import text
from kb.site.results_page import results_for, results_page, results_table_html


def _run(i: int, method: str, seed: int, n_reached: int, **extra) -> Run:
    return Run(id=f"toy-pareto-{i}", reproduction="toy-pareto", status="done", seed=seed,
               scale="smoke", config={"methods": [method], "seed": seed},
               metrics={"nashmtl": {method: {"n_reached": n_reached,
                                             "distance_to_front": [0.1, 0.2]}}}, **extra)


def test_a_sweeps_runs_make_a_table_with_intervals_and_the_papers_column() -> None:
    runs = [_run(3, "famo", 2, 5), _run(2, "famo", 1, 4), _run(1, "famo", 0, 5)]
    source, rows = results_for("toy-pareto", runs)
    assert source == "sweep runs here, smoke scale"
    (row,) = rows
    assert row.method == "famo" and row.seeds == [0, 1, 2]
    iv = row.metrics["nashmtl.n_reached"]
    assert iv.n == 3 and iv.mean == (5 + 4 + 5) / 3 and iv.low < iv.mean < iv.high
    assert row.paper == {"nashmtl.n_reached": 5}  # toy_pareto.PAPER_TABLE
    html = results_table_html(source, rows)
    name = text("nashmtl.n_reached")  # Markdown-inert: _ and : become entities
    assert f"<th>{name}</th><th>paper: {name}</th>" in html
    assert "n=3" in html and "<td>5</td>" in html


def test_one_runs_per_seed_numbers_make_the_table_when_there_is_no_sweep() -> None:
    metrics = {"per_seed": [
        {"seed": 0, "methods": {"uniform": {"acc_left": 0.8, "acc_right": 0.7, "acc_mean": 0.75,
                                            "delta_m_pct": 1.0}}},
        {"seed": 1, "methods": {"uniform": {"acc_left": 0.9, "acc_right": 0.7, "acc_mean": 0.8,
                                            "delta_m_pct": 3.0}}}]}
    ref = Run(id="multimnist-ref", reproduction="multimnist", scale="full", metrics=metrics,
              config={"methods": ["uniform", "mgda_ub"]}, reference=True)
    source, rows = results_for("multimnist", [ref])
    assert source == "bundled reference run multimnist-ref, full scale"
    (row,) = rows
    assert row.metrics["delta_m_pct"] == interval([1.0, 3.0])
    # a run here comes before the bundled reference
    mine = ref.model_copy(update={"id": "mine", "reference": False, "scale": "smoke"})
    assert results_for("multimnist", [mine, ref])[0] == "latest run here mine, smoke scale"
    assert results_for("kendall-uncertainty", []) is None


def test_the_page_lists_each_reproduction_with_results_and_escapes(tmp_kb: KB) -> None:
    from kb.site.data import gather

    data = gather(tmp_kb)
    page = results_page(data)
    assert page.startswith("---") and "# Results" in page
    # the bundled reference runs of multi-seed experiments give tables out of the box only
    # when they list per-seed numbers; otherwise the page says how to make one
    evil = _run(1, "<script>x</script>", 0, 5)
    html = results_table_html("src", results_for("toy-pareto", [evil])[1])
    assert "<script>" not in html and "&#60;script&#62;" in html


def test_the_page_is_built_into_the_site(tmp_kb: KB) -> None:
    from kb.site.generate import generate

    stats = generate(tmp_kb)
    assert (stats.docs_dir / "results.md").is_file()


def test_a_run_page_shows_an_inconclusive_verdict_as_inconclusive() -> None:
    from kb.site.run_html import verdicts_table

    html = verdicts_table([
        {"claim": "A beats B", "ours": "+0.1 (SE 0.2)", "tolerance": "t-interval",
         "outcome": "inconclusive", "passed": False},
        {"claim": "old run", "ours": 1, "tolerance": "x", "passed": True},
    ])
    assert ">inconclusive<" in html and ">failed<" not in html and ">passed<" in html
