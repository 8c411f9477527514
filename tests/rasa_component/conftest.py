"""These tests need Rasa (Python 3.10, .venv-rasa); `make test-component` runs them there.
In the app environment they are skipped."""

import pytest

pytest.importorskip("rasa")
