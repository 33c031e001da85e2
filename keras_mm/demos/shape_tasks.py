"""Fine-tuning targets of the built-in shapes: a shape's kind or colour."""

import numpy as np

from keras_mm.datasets.shapes import COLORS
from keras_mm.datasets.shapes import SHAPES
from keras_mm.training.recipes.stage_tasks import image_classifier

ATTRIBUTES = {"shape": SHAPES, "color": tuple(COLORS)}


def shape_classifier(image_encoder, attribute="shape"):
    """Classifies an attribute (`"shape"` or `"color"`) of a shape."""
    return image_classifier(image_encoder, len(ATTRIBUTES[attribute]),
                            name=f"{attribute}_classifier")


def shape_labels(objects, attribute="shape"):
    """The class index of the first shape's attribute in each scene."""
    names = ATTRIBUTES[attribute]
    return np.array([names.index(o[0][attribute]) for o in objects], "int32")


def single_shape_split(pairs, limit=None):
    """The scenes of `pairs` that hold exactly one shape (unambiguous
    labels), at most `limit` of them."""
    index = [i for i, o in enumerate(pairs["objects"]) if len(o) == 1]
    index = index[:limit] if limit else index
    return {"images": pairs["images"][index],
            "objects": [pairs["objects"][i] for i in index]}
