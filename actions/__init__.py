"""Custom Rasa actions for the AKAR seller assistant.

Only what a static response in `domain.yml` cannot do lives here: greeting the seller by name,
offering the likeliest topics when the NLU is unsure, and repeating the route of an ongkir
question. The action server (`python -m rasa_sdk --actions actions`) registers every `Action`
subclass in this package's modules.
"""
