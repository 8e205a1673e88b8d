-- statushawk-runner: every batch of results updates its monitors' last_checked_at (and,
-- on a transition, status). No index covers those columns, so with free room in the page
-- PostgreSQL makes each such update heap-only (HOT): no index entries are written and the
-- old version is pruned in place. Leaving a quarter of each page free for that roughly
-- halves the time a batch of 1,000 results takes (bench/runner_throughput.sh). Pages
-- written before this keep their fill until they are rewritten or vacuumed.
ALTER TABLE monitors SET (fillfactor = 75);
