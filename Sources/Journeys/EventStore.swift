// Journeys: touchpoint ingestion (work in progress).
