"""DIAN's side, locally: the web service invoicing software sends its signed documents to (SOAP,
WS-Security, software registration, numbering ranges, test set, DIAN's signed ApplicationResponse),
its client, and a generator of the documents the habilitación test set needs."""
