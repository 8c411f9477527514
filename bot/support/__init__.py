"""Support (issue #6), the bot-side and data-side parts: answer feedback (👍/👎), human
handoff, staff replies through Telegram, and the inbox queries, notes, NLU annotations and
annotation export the web desk (`bot/desk/`) is built on.

Modules take a caller-owned `Session` (`feedback`, `handoff`, `inbox`, `annotations`,
`export`) except the async entry points: `facade.Support` (used by the conversation core) and
`replies` (staff replies and hand-back, used by the desk with its own `telegram.Bot`).
"""
