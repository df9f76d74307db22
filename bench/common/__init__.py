"""The plumbing every benchmark shares; each bench file keeps only its scenario.

* `report`: progress on stderr (`say`), the machine line of a header, fixed-width result
  tables, PASS/FAIL lines, `--json` files, the `--database-url`/`--json`/`--strict` options;
* `numbers`: one percentile (nearest rank) and `Latency`, a measured series in ms;
* `cpu`: CPU time and memory of processes from `/proc`, the machine's busy share, and the
  "other work" noise note;
* `db`: the database of a run (an embedded PostgreSQL in a temporary directory, or
  `--database-url`), connections, migrating, removing what a run added, the ceilings' tables;
* `seed`: archers with a login token, arrows, open sessions, targets with a face, clubs;
* `server`: processes of ours (uvicorn as `arch-stats serve` runs it, `arch-stats serve`
  itself), their ports, readiness and logs; the servers' environment;
* `serve`: the Arch Stats app as the benchmarks serve it (`bench.common.serve:create_app`);
* `ceiling`: the bare ceilings (`bench.common.ceiling:create_app`: plain uvicorn + Starlette +
  asyncpg, nothing of Arch Stats imported), their paths and tables (created by
  `db.write_tables`, served by `server.ceiling_server`);
* `load`: the load generators (`wrk`, or `pyload` in its own process), one request at a time
  on a raw keep-alive socket, pacing, the event loop (uvloop).
"""
