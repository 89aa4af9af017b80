"""One executor for many independent solves of one model: local processes or Dask."""
