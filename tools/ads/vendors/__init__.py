"""Ad-platform adapters (httpx) implementing parts of `AdsBackend`."""
