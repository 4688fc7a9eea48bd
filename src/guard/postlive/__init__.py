"""The post-live report (seed 八): a live's metrics export and monitor database in, advice out."""
