"""AKAR training content: modules → lessons → quiz questions, authored as files in `content/`.

`loader` reads and validates the files (errors name the file and line), `sync` writes the result
into the database idempotently. Trainers' guide: docs/panduan-konten.md.
"""
