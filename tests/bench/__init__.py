"""`make bench`: figures of the platform, each beside a baseline measured the same way in the same run."""
