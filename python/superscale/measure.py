"""Geometry of any weight matrix W (rows = features), as recorded after every run.

All functions accept array-likes and read them as float64 (a C-contiguous float64 array is
read in place). Errors are :class:`superscale.MeasureError`.
"""

from ._superscale import measure_dimensions_per_feature as dimensions_per_feature
from ._superscale import measure_feature_dimensionality as feature_dimensionality
from ._superscale import measure_geometry as geometry
from ._superscale import measure_mean_squared_overlap as mean_squared_overlap
from ._superscale import measure_row_norms as row_norms
from ._superscale import measure_welch_bound as welch_bound

__all__ = [
    "dimensions_per_feature",
    "feature_dimensionality",
    "geometry",
    "mean_squared_overlap",
    "row_norms",
    "welch_bound",
]
