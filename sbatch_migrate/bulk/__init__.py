"""The migration campaign over whole trees: the walk, the run (workers, journal, resume,
shards), the cache, backups and restore, safe writes, and the bulk reports."""
