"""The benchmark harness (issue 5): `python -m tests.bench --profile quick|full`, or `make bench`.

Every figure is taken in one run on one corpus at a time: our warm answer latency beside the raw
floor (one encode + one Chroma query) and LangChain's tutorial pipeline (the peer); ingest
throughput beside raw encode throughput; re-ingests; cold start; peak memory; and the bot through
the Telegram Bot API emulator. Corpora live in temp dirs; the repo's data/ is never touched.

Module names avoid `test_*` so pytest never collects them; tests/test_bench.py is the smoke test.
"""
