"""The default-model lookup shared by run, stylize and the demo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.runtime import models

DEV_MODEL = Path(__file__).parent / "data" / "tiny_stateful_dev.tflite"  # 32x32


@pytest.fixture
def shipped(tmp_path, monkeypatch, tiny_stateful_tflite) -> Path:
    """A working directory with models/default/ holding two sizes, and no repo models behind it."""
    folder = tmp_path / "models" / "default"
    folder.mkdir(parents=True)
    shutil.copy(DEV_MODEL, folder / "m_32x32_int8.tflite")
    shutil.copy(tiny_stateful_tflite, folder / "m_64x48_int8.tflite")
    (folder / "m_64x48_int8_edgetpu.tflite").write_bytes(tiny_stateful_tflite.read_bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(models, "data_dir", lambda name: tmp_path / "elsewhere")
    return folder


def test_largest_by_default_or_the_profiles_size(shipped):
    assert models.resolve_model(None) == shipped / "m_64x48_int8.tflite"
    assert models.resolve_model(None, prefer_size=32) == shipped / "m_32x32_int8.tflite"
    assert models.resolve_model(None, prefer_size=36) == shipped / "m_32x32_int8.tflite"  # the closest
    assert models.resolve_model(None, "*_edgetpu.tflite") == shipped / "m_64x48_int8_edgetpu.tflite"


def test_a_pointer_file_names_the_default(shipped):
    other = shipped.parent / "other"
    other.mkdir()
    shutil.copy(DEV_MODEL, other / "o_int8.tflite")
    shutil.rmtree(shipped)
    (shipped.parent / "default").write_text("other\n")
    assert models.resolve_model(None) == (other / "o_int8.tflite").resolve()


def test_explicit_models_and_clear_errors(shipped, tmp_path):
    assert models.resolve_model(str(DEV_MODEL)) == DEV_MODEL
    assert models.resolve_model(str(shipped)) == shipped / "m_64x48_int8.tflite"  # a folder: its largest
    with pytest.raises(EdgestyleError, match="model file not found"):
        models.resolve_model("nope.tflite")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EdgestyleError, match="no .tflite model in folder"):
        models.resolve_model(str(tmp_path / "empty"))
    shutil.rmtree(shipped.parent)
    with pytest.raises(EdgestyleError, match="no --model given and no default model"):
        models.resolve_model(None)


def test_a_training_folder_finds_its_export_folder(tmp_path):
    model = tmp_path / "model"
    (model / "export").mkdir(parents=True)
    (model / "edgestyle.json").write_text("{}")
    with pytest.raises(EdgestyleError, match="convert it first with `edgestyle convert"):
        models.resolve_model(model)
    shutil.copy(DEV_MODEL, model / "export" / "model_32x32_int8.tflite")
    assert models.resolve_model(model) == model / "export" / "model_32x32_int8.tflite"


def _baked_copy(source: Path, target: Path, style: str) -> Path:
    """``source`` with a contract saying it paints ``style`` alone, as `convert --style` writes it."""
    from dataclasses import replace

    from edgestyle.contract import embed_contract, load_contract

    contract = replace(load_contract(source), baked_style=style, style=None)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(embed_contract(source.read_bytes(), contract))
    return target


def test_a_style_named_alone_uses_its_own_shipped_file(shipped):
    own = _baked_copy(DEV_MODEL, shipped.parent / "b" / "m_b_32x32_int8.tflite", "b")
    assert models.resolve_model(None, style="b") == own
    # Not for another style, a blend, a picture, an explicit model or a variant the folder lacks.
    assert models.resolve_model(None, style="a") == shipped / "m_64x48_int8.tflite"
    assert models.resolve_model(None, style={"b": 1.0}) == shipped / "m_64x48_int8.tflite"
    assert models.resolve_model(str(DEV_MODEL), style="b") == DEV_MODEL
    edgetpu = models.resolve_model(None, "*_edgetpu.tflite", style="b")
    assert edgetpu == shipped / "m_64x48_int8_edgetpu.tflite"
    # A folder named like the style whose model is not baked for it is not a specialist.
    (shipped.parent / "a").mkdir()
    shutil.copy(DEV_MODEL, shipped.parent / "a" / "m_a_int8.tflite")
    assert models.resolve_model(None, style="a") == shipped / "m_64x48_int8.tflite"
