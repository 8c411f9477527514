"""Telegram webhook mode for several bot worker processes (issue #7).

`ingress` accepts Telegram's POSTs (secret-token header checked) and commits each update to the
`inbound_updates` table before answering 200; `worker` claims updates from that table, one per
chat at a time in `update_id` order, and hands them to the python-telegram-bot Application;
`runner` wires both into one `akar bot` process. Any number of such processes behind a load
balancer share the table, so a seller's messages are handled in order whichever process
received them, and an update accepted by any process survives the crash of any process.
"""
