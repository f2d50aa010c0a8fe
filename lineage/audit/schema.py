"""Print the policy JSON Schema: ``python -m lineage.audit.schema > schemas/policy.schema.json``."""

import sys

from lineage.audit.policy import schema_text

if __name__ == "__main__":
    sys.stdout.write(schema_text())
