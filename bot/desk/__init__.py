"""The support desk (issue #6): a small web app where support staff, admins and trainers work.

Server-rendered pages (FastAPI + Jinja2, HTMX for partial updates) served by uvicorn from
`akar web`, and by `akar run` as one more supervised process. Staff sign in with a desk account
(`akar users create-staff`); what they may see is decided by their role in `staff_roles`, read
from the database on every request. docs/ARCHITECTURE.md ("Support desk") explains the design.
"""
