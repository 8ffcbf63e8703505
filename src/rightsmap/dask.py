"""Tagging a Dask DataFrame across workers (extra ``dask``): one model load per worker process.

>>> import dask.dataframe as dd, rightsmap.dask                          # doctest: +SKIP
>>> ddf = dd.read_csv("testimonies-*.csv", blocksize="16MB")             # doctest: +SKIP
>>> rightsmap.dask.tag_dataframe(ddf, "text").to_parquet("tagged/")      # doctest: +SKIP
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from .batch import ADDED_COLUMNS, tag_frame
from .dataset import check_columns
from .tagger import Tagger, load


@cache
def _model(path: str | None, index: str | None) -> Tagger:
    """The model for this worker process, loaded on first use and kept, with ``index`` attached
    (None: no recommendations, whatever the worker has installed)."""
    return load(path).use_index(index)


def _tag_partition(df: Any, column: str, path: str | None, index: str | None) -> Any:
    return tag_frame(df, column, _model(path, index))


def tag_dataframe(
    ddf: Any, column: str = "text", model: str | Path | None = None, index: str | Path | None = None
) -> Any:
    """A lazy Dask DataFrame: ``ddf`` with the columns of ``tag_frame`` added, partition by partition.

    ``model`` is a model directory every worker can read (default: the bundled model); each worker
    process loads it once. ``index``: a UPR index folder every worker can read; with it a
    ``recommendations`` column is added too (without it none is, so the columns never depend on
    what a worker happens to have installed). Nothing is computed until you call ``.compute()``,
    ``.to_parquet()``...
    """
    import pandas as pd

    from .upr import RecommendationIndex

    check_columns("the Dask DataFrame", [str(c) for c in ddf.columns], [column])
    if index is not None:
        RecommendationIndex.load(index)  # a missing or broken index fails here, not on a worker
    added = (*ADDED_COLUMNS, "recommendations") if index is not None else ADDED_COLUMNS
    meta = ddf._meta.assign(**{name: pd.Series(dtype=object) for name in added})
    return ddf.map_partitions(
        _tag_partition,
        column,
        None if model is None else str(model),
        None if index is None else str(index),
        meta=meta,
    )
