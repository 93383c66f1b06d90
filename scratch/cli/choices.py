"""What the command line offers, in a module that imports nothing: ``scratch --help`` answers
without loading NumPy, SciPy or matplotlib.

``DATA_NAMES`` and ``IMAGE_NAMES`` repeat the names of the data set registry
(``scratch.datasets.names()``, ``names("images")``), ``MODEL_NAMES`` what ``scratch.cli.tasks``
derives from the Module registry; tests/test_cli.py checks that each copy equals its source
(a data set added to the registry is added here by name). The other settings are defined here only.
"""

DATA_NAMES = ("mnist", "fashion-mnist", "iris", "boston", "boston-mass", "house-prices", "advertising")
IMAGE_NAMES = ("mnist", "fashion-mnist")  # the image sets: scratch show samples --data
MODEL_NAMES = ("linear", "logistic", "softmax")
SCHEDULES = ("constant", "cosine")  # cosine: CosineAnnealingLR(optimizer, T_max=epochs), stepped per epoch
VALIDATION_FRACTION = 0.1  # of the training split, held out for validation
INPUT_HELP = (
    "image runs: a grayscale image file (8-bit, 28 x 28, white on black), or a .npy or .csv of one 28 x 28 image "
    "or rows of 784 pixels, read by the saved model exactly as from Python: integers 0-255 or floats in [0, 1] "
    "(the pixel rule, README.md 'Pixels in, the same answer on every path'); tabular runs: .npy or .csv of raw feature rows, which the "
    "saved model standardises"
)
