"""Field-type schemas: what an Elasticsearch index mapping makes of each field a pipeline emits."""
