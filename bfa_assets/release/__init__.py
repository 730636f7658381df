"""Building and publishing the release."""
