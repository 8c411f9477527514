"""Learning in Telegram: module catalogue, lessons, quizzes and progress (issue #4).

`callbacks` encodes the short button data, `service` reads and records progress in the database
(synchronous, the caller owns the session), `views` turns results into front-end-neutral
messages, and `Learning` (facade.py) ties them together for the async bot.
"""
