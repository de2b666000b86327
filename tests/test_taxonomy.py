from kb.core.taxonomy import load_taxonomy, sync_taxonomy


def test_taxonomy_is_a_tree_with_the_survey_areas():
    topics = {t.name: t for t in load_taxonomy()}
    for area in ("architectures", "optimization", "task-relationships", "benchmarks"):
        assert area in topics and topics[area].parent is None
    for t in topics.values():
        if t.parent:
            assert t.parent in topics, t.name
            assert t.name.startswith(t.parent + "/"), t.name


def test_sync_fills_topics_table(tmp_kb):
    with tmp_kb.write() as db:
        n = sync_taxonomy(db)
        sync_taxonomy(db)  # idempotent
    rows = tmp_kb.db.execute("SELECT count(*), count(title) FROM topics").fetchone()
    assert rows == (n, n)
