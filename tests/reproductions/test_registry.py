"""The reproduction registry: metadata only, lazily imported modules, one test file each."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from reproductions import registry
from reproductions.spec import ExperimentConfig, Reproduction, overall_verdict

TESTS = Path(__file__).resolve().parent


def test_ids_unique_and_lookup() -> None:
    ids = registry.ids()
    assert len(ids) == len(set(ids)) >= 6
    for rid in ids:
        assert registry.get(rid).id == rid
    with pytest.raises(registry.UnknownReproduction, match="unknown reproduction"):
        registry.get("no-such-thing")


def test_required_reproductions_present() -> None:
    need = {"toy-pareto", "kendall-uncertainty", "gradnorm-synthetic", "multimnist",
            "mmoe-synthetic", "cross-stitch"}
    assert need <= set(registry.ids())


def test_arxiv_links() -> None:
    assert [r.id for r in registry.by_arxiv_id("2202.01017v3")] == ["toy-pareto", "qm9"]
    assert [r.id for r in registry.by_arxiv_id("1705.07115")] == ["kendall-uncertainty"]
    assert registry.strip_version("2110.14048v2") == "2110.14048"
    assert registry.strip_version("2110.14048") == "2110.14048"
    assert registry.get("mmoe-synthetic").doi == "10.1145/3219819.3220007"
    with pytest.raises(ValueError):
        Reproduction(id="x", title="t", claim="c", module="m", arxiv_ids=("2110.14048v1",))


@pytest.mark.parametrize("rid", registry.ids())
def test_each_module_is_complete(rid: str) -> None:
    repro = registry.get(rid)
    assert repro.claim.strip() and repro.title.strip()
    module = registry.load(rid)
    assert callable(module.run)
    assert issubclass(module.Config, ExperimentConfig)
    smoke = module.Config.for_scale("smoke", seed=3)
    full = module.Config.for_scale("full")
    assert smoke.scale == "smoke" and smoke.seed == 3 and full.scale == "full"
    assert smoke != full.model_copy(update={"scale": "smoke", "seed": 3})  # smoke is smaller
    with pytest.raises(ValueError):
        module.Config.for_scale("huge")
    # one test file per experiment
    name = repro.module.rsplit(".", 1)[-1]
    assert (TESTS / f"test_exp_{name}.py").is_file(), f"no tests/reproductions/test_exp_{name}.py"


def test_registry_and_cli_modules_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import reproductions.registry, reproductions.spec, kb.repro.runs, kb.cli.repro\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_overall_verdict() -> None:
    assert overall_verdict([]) is None
    assert overall_verdict([{"passed": True}, {"passed": True}]) == "passed"
    assert overall_verdict([{"passed": True}, {"passed": False}]) == "failed"


def test_modules_import_lazily() -> None:
    importlib.import_module("reproductions.registry")
    assert all(r.module.startswith("reproductions.experiments.") for r in registry.REPRODUCTIONS)
