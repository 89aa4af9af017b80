"""The formulation: the data a model reads, the build (its table of contents), constraint families
and the measures they share."""
