"""lineage: ML lineage and audit-trail integrator.

Harvest git, DVC, GTO, MLflow, OpenLineage and governance records into one lineage graph,
push it to DataHub or Apache Atlas, and audit it against the EU AI Act / ISO 42001.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
