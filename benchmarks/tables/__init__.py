"""The table panel: lucidnet's default table model against gradient boosting and an MLP.

``panel`` holds the tables, ``systems`` the fit functions, ``report`` the aggregation and
the markdown; ``python -m benchmarks.tables.run`` runs it.
"""
