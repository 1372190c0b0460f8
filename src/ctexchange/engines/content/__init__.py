"""Content fingerprints: file digests now; PDQ, video, text and URL kinds arrive with the content engine."""
