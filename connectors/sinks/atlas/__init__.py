"""Apache Atlas sink: typedefs in ``schemas/atlas/``, rendering, validation and push."""
