"""Tagging a Dask DataFrame across workers (extra ``dask``): one model load per worker process.

>>> import dask.dataframe as dd, rightsmap.dask                          # doctest: +SKIP
>>> ddf = dd.read_csv("testimonies-*.csv", blocksize="16MB")             # doctest: +SKIP
>>> rightsmap.dask.tag_dataframe(ddf, "text").to_parquet("tagged/")      # doctest: +SKIP
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .batch import ADDED_COLUMNS, tag_frame
from .dataset import check_columns
from .tagger import Tagger, load


@cache
def _model(path: str | None) -> Tagger:
    """The model for this worker process, loaded on first use and kept."""
    return load(path)


def _tag_partition(df: Any, column: str, path: str | None) -> Any:
    return tag_frame(df, column, _model(path))


def tag_dataframe(ddf: Any, column: str = "text", model: str | None = None) -> Any:
    """A lazy Dask DataFrame: ``ddf`` with the columns of ``tag_frame`` added, partition by partition.

    ``model`` is a model directory every worker can read (default: the bundled model); each worker
    process loads it once. Nothing is computed until you call ``.compute()``, ``.to_parquet()``...
    """
    import pandas as pd

    check_columns("the Dask DataFrame", [str(c) for c in ddf.columns], [column])
    meta = ddf._meta.assign(**{name: pd.Series(dtype=object) for name in ADDED_COLUMNS})
    return ddf.map_partitions(_tag_partition, column, None if model is None else str(model), meta=meta)
