"""The progressive trainer's vocabulary: every choice, default and tolerance, defined once and named by role.

This module imports nothing (it lives outside :mod:`convexgan.progressive`, whose import needs torch), so that
the command line builds its choices and defaults from it without the trainer's imports; :class:`convexgan.progressive.config.TrainConfig` checks its options
against the same tuples, and ``tests/test_help_defaults.py`` ties the two.
"""

TRAINING_MODES = ("principled", "legacy")
"""``mode``: the exact closed form at every stage, or the official notebook's algorithm."""

MOMENT_DTYPES = ("float32", "float64")
"""``dtype``: the arithmetic of the data pass's moments."""

LEGACY_DTYPES = ("auto", "float64", "float32")
"""``legacy_dtype``: the official code's arithmetic (``auto``: float64 on the CPU, float32 on CUDA)."""

CACHE_MODES = ("auto", "memory", "disk", "none")
"""``cache``: where the data pass keeps the uint8 pixels (``auto``: memory when it fits, else disk)."""

MATRIX_METHODS = ("dense", "eigsh", "lobpcg", "randomized")
"""Eigen-solvers of the ``d x d`` moment."""

OPERATOR_METHODS = ("operator", "gram")
"""Eigen-solvers through the pixels (block Krylov on the data operator, or the ``n x n`` Gram)."""

EIGENSOLVERS = ("auto", *MATRIX_METHODS, *OPERATOR_METHODS)
"""``eigensolver``: a method, or ``auto`` (decided per stage by :func:`convexgan.progressive.stages.policy.choose_eigensolver`)."""

OFFICIAL_K = (20, 30, 40, 100, 175)
"""The official code's kept components at 4, 8, 16, 32 and 64."""

# Default k past the official five stages (convexgan.progressive.config.default_k).
K_CONTINUATION_RATIO = OFFICIAL_K[-1] / OFFICIAL_K[-2]
"""Stage ``t > 5`` keeps ``round(175 * 1.75**(t - 5))`` components by default (306, 536, 938, ...): the geometric
continuation of the official schedule's last ratio 175 / 100."""

DEFAULT_RESOLUTIONS = (4, 8, 16, 32, 64)

# Growth by default (convexgan.progressive.runs.growth).
MAX_DEFAULT_BASE = 128
"""Cap of the default base resolution: a run started without ``base_resolution`` resizes its frames first to the
largest doubling of its top resolution that fits the first frame's (cropped) smaller side and this cap, so that
it can grow (``--resume`` with resolutions appended) up to it. 128: the CelebA 89 x 109 frames give 64 (a 4 -> 64
run decodes as before), UTKFace 200 x 200 give 128 (one 128 x 128 resize more per image, no cache growth)."""

DEFAULT_LATENT = 48
DEFAULT_SEED = 0
DEFAULT_CHUNK_SIZE = 256
FRESH_RATIO = 0.25
"""Variance of a stage's fresh latent columns relative to the smallest kept input variance of the stage before."""

RESIDUAL_TOLERANCE = 1e-10
"""Eigen-solver residuals relative to :math:`\\lambda_1` that the iterative methods must reach."""

LAST_RESIDUAL_TOLERANCE = 1e-8
"""Residual of the smallest wanted pair relative to that eigenvalue (close to :math:`\\beta`)."""

CERTIFICATE_TOLERANCE = 1e-6
"""A stage whose constraint value :math:`\\|S_X - S_G\\|_2 / \\beta` exceeds ``1 + CERTIFICATE_TOLERANCE`` warns."""

NUMERICAL_RANK_FACTOR = 10.0
"""An eigenvalue counts in the numerical rank when above ``NUMERICAL_RANK_FACTOR * d * eps(dtype) * lambda_1``."""

# --- transparency (decoding) ---
DEFAULT_BACKGROUND = "white"
"""Colour that transparent pixels are composited onto in new runs (``none`` drops the alpha channel)."""

LEGACY_BACKGROUND = "none"
"""Background of run folders written before the option existed: alpha was dropped."""

BACKGROUND_NAMES = {"white": (255, 255, 255), "black": (0, 0, 0), "grey": (128, 128, 128), "gray": (128, 128, 128)}
"""Named backgrounds; ``#rrggbb`` and ``r,g,b`` (0..255 each) are accepted as well."""
