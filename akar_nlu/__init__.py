"""Custom Rasa NLU components for the AKAR assistant (loaded by the Rasa server, Python 3.10).

`normaliser` is plain Python (no Rasa import) so the app environment can test it too;
`answer_classifier` is the Rasa graph component registered in `config.yml` that picks the
topic and the specific answer.
"""
