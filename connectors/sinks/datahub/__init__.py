"""DataHub sinks: render the lineage graph as MCPs and push them (Lite, MCP file, REST, Kafka).

Modules: :mod:`.render` (pure graph → MCPs), :mod:`.validate` (offline checks every MCP passes
before it leaves), :mod:`.sink` (incremental push machinery, Lite and file targets),
``remote`` (REST / Kafka), ``reader`` (DataHub → graph) and ``source`` (ingestion plugin).
Importing this package is cheap; acryl-datahub loads when a function needs it.
"""
