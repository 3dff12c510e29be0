"""The catalogue: every Keras 3 loss, every alias, helpful errors for unknown names and params."""

from __future__ import annotations

import pytest

from losscli.errors import UsageError
from losscli.registry import get, list_losses

KERAS_CLASSES = [
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge",
    "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "BinaryCrossentropy",
    "BinaryFocalCrossentropy", "CategoricalCrossentropy", "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy", "CategoricalGeneralizedCrossEntropy", "Dice", "Tversky",
    "Circle", "CTC",
]  # fmt: skip

# alias → the canonical (Keras function) name it must resolve to
ALIASES = {
    "mse": "mean_squared_error", "MSE": "mean_squared_error",
    "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
    "kld": "kl_divergence", "KLD": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "bce": "binary_crossentropy", "BCE": "binary_crossentropy",
    "logcosh": "log_cosh", "huber_loss": "huber",
    "cosine_similarity": "cosine_similarity", "ctc": "ctc", "dice": "dice", "tversky": "tversky",
    "circle": "circle", "hinge": "hinge", "poisson": "poisson",
    "categorical_generalized_cross_entropy": "categorical_generalized_cross_entropy",
}  # fmt: skip


def test_every_keras_class_is_registered() -> None:
    keras = pytest.importorskip("keras")
    for class_name in KERAS_CLASSES:
        info = get(class_name)
        assert info.class_name == class_name
        assert hasattr(keras.losses, class_name)
        # the canonical name is Keras's function name
        assert hasattr(keras.losses, info.name), info.name


def test_catalogue_has_exactly_the_keras_losses() -> None:
    assert sorted(i.class_name for i in list_losses(source="keras")) == sorted(KERAS_CLASSES)


@pytest.mark.parametrize(("alias", "canonical"), sorted(ALIASES.items()))
def test_alias_resolves(alias: str, canonical: str) -> None:
    assert get(alias).name == canonical


def test_every_registered_name_resolves_to_its_loss() -> None:
    for info in list_losses():
        for name in info.names:
            assert get(name) is info, name


def test_keras_string_aliases_resolve_like_keras_get() -> None:
    """Every string keras.losses.get accepts resolves here to a loss with the same function."""
    from keras.src.losses import ALL_OBJECTS_DICT

    for name, obj in ALL_OBJECTS_DICT.items():
        if name in ("Loss", "LossFunctionWrapper"):
            continue
        info = get(name)
        assert obj.__name__ in (info.name, info.class_name), (name, info.name)


def test_unknown_name_suggests_close_names() -> None:
    with pytest.raises(UsageError) as err:
        get("mean_sqared_error")
    assert "mean_squared_error" in str(err.value)


def test_metadata_is_complete() -> None:
    for info in list_losses():
        assert info.summary and info.formula and info.category, info.name
        assert info.y_true and info.y_pred, info.name
        for param in info.params:
            assert param.help, f"{info.name}.{param.name} has no help text"


def test_wrong_parameter_name_lists_the_parameters() -> None:
    with pytest.raises(UsageError) as err:
        get("huber").resolve_params({"delt": 1.0})
    assert "delta=1.0" in str(err.value)


def test_wrong_parameter_type_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as err:
        get("huber").resolve_params({"delta": "big"})
    assert "delta" in str(err.value) and "float" in str(err.value)


def test_ints_are_accepted_for_floats() -> None:
    assert get("huber").resolve_params({"delta": 2}) == {"delta": 2.0}
