"""lineage: ML lineage and audit-trail integrator.

Harvest git, DVC, GTO, MLflow, OpenLineage and governance records into one lineage graph,
push it to DataHub or Apache Atlas, and audit it against the EU AI Act / ISO 42001.
"""

import logging

__version__ = "0.1.0"

# a library's warnings reach the application's logging, never a bare line on stderr (Python's
# last-resort handler): the CLI says what matters in its own output
logging.getLogger("lineage").addHandler(logging.NullHandler())

__all__ = ["__version__"]
