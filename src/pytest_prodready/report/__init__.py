"""What a run shows: the header, redaction, the JSON summary, SARIF, drift and catalogue docs."""
