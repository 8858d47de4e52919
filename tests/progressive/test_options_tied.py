"""``convexgan train``'s choices and defaults are TrainConfig's: both come from convexgan.choices."""

import dataclasses

from convexgan import choices
from convexgan.cli import build_parser
from convexgan.data.frames import CROPS
from convexgan.data.subsets import SUBSETS
from convexgan.progressive import TrainConfig

# command-line dest -> (TrainConfig field, the tuple of choices in the vocabulary or None)
TIED = {
    "resolutions": ("resolutions", None), "mode": ("mode", choices.TRAINING_MODES), "latent": ("latent", None),
    "dtype": ("dtype", choices.MOMENT_DTYPES), "eigensolver": ("eigensolver", choices.EIGENSOLVERS),
    "legacy_dtype": ("legacy_dtype", choices.LEGACY_DTYPES), "seed": ("seed", None),
    "cache": ("cache", choices.CACHE_MODES), "crop": ("crop", CROPS), "subset": ("subset", SUBSETS),
    "device": ("device", None), "n_images": ("n_images", None), "base_resolution": ("base_resolution", None),
    "noise_rows": ("noise_rows", None), "workers": ("workers", None), "k": ("k", None), "beta": ("beta", None),
}


def train_actions():
    parser = build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]
    return {a.dest: a for a in train._actions}


def test_train_options_have_trainconfigs_defaults_and_choices():
    actions = train_actions()
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    for dest, (field, vocabulary) in TIED.items():
        action = actions[dest]
        default = list(defaults[field]) if isinstance(defaults[field], tuple) else defaults[field]
        assert action.default == default, f"--{dest}: {action.default!r} != TrainConfig.{field} {default!r}"
        if vocabulary is not None:
            assert tuple(action.choices) == tuple(vocabulary), f"--{dest}: {action.choices} != {vocabulary}"
    assert f"default {' '.join(map(str, choices.OFFICIAL_K))}" in actions["k"].help
