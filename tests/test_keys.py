from hypothesis import given
from hypothesis import strategies as st

from kb.keys import ascii_fold, is_safe_key, key_stem, normalize_title, unique_key


def test_key_stem_follows_design_examples():
    assert key_stem("Ruder", 2017, "An Overview of Multi-Task Learning") == "ruder2017overview"
    assert key_stem("Kendall", 2018, "Multi-Task Learning Using Uncertainty") == "kendall2018multi"
    assert key_stem("Søgaard", 2016, "Deep multi-task learning") == "sogaard2016deep"
    assert key_stem("Müller-Lüdenscheidt", 2020, "The {MTL} zoo") == "mullerludenscheidt2020mtl"
    assert key_stem(None, None, "") == "anonuntitled"


def test_unique_key_suffixes_a_b_c():
    taken = {"ruder2017overview", "ruder2017overviewa"}
    assert unique_key("ruder2017overview", taken.__contains__) == "ruder2017overviewb"
    many = {"x"} | {"x" + chr(c) for c in range(ord("a"), ord("z") + 1)}
    assert unique_key("x", many.__contains__) == "xaa"


def test_safe_keys():
    for ok in ["ruder2017overview", "Smith:2020", "a-b_c.d+e"]:
        assert is_safe_key(ok)
    for bad in ["../x", "a b", "a/b", "", ".hidden", "a..b", "x\n", "-rf"]:
        assert not is_safe_key(bad), bad


def test_normalize_title_ignores_case_accents_and_punctuation():
    a = normalize_title("Multi-Task Learning: A {Survey}")
    b = normalize_title("multi task   learning — a survey")
    assert a == b == "multi task learning a survey"
    assert ascii_fold("Søgaard Ł") == "Sogaard L"


@given(st.text(max_size=40), st.integers(1900, 2100) | st.none(), st.text(max_size=80))
def test_generated_stems_are_always_safe(last, year, title):
    assert is_safe_key(key_stem(last, year, title))
