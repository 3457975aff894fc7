import os

# Polars allocates through jemalloc, which keeps freed pages for a while: the buffer of the file
# just parsed would still be resident while the cards' queries allocate theirs. Purged after
# 100 ms by a background thread, the worker's peak fell from ~1.55x to ~1.43x the file's size for
# ~2% more time (bench/generation.py). Appended, as later options win: importing polars in a
# parent process leaves its own defaults in the environment we inherit.
JEMALLOC = "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0"
os.environ["_RJEM_MALLOC_CONF"] = ",".join(filter(None, [os.environ.get("_RJEM_MALLOC_CONF"), JEMALLOC]))

# Polars' streaming CSV and NDJSON readers hand out the file in chunks and read ahead by default
# as much as the file's size (297 MB CSV: +316 MB resident while parsing). 4 MB chunks, two
# ahead: +95 MB, in the same time (polars 2.1 tuning variables; an operator's own values win).
READ_AHEAD = {"POLARS_CSV_CHUNK_SIZE": "4194304", "POLARS_CSV_CHUNK_PREFETCH_LIMIT": "2",
              "POLARS_NDJSON_CHUNK_SIZE": "4194304", "POLARS_NDJSON_CHUNK_PREFETCH_LIMIT": "2"}
for name, value in READ_AHEAD.items():
    os.environ.setdefault(name, value)

from services.generation.app import main  # noqa: E402 - jemalloc reads the setting when polars loads

main()
