-- Rasa's tracker database (RASA_TRACKER_STORE_URL in docker-compose.yml), beside the app's
-- `akar`: Rasa creates its `events` table there on first start. The postgres image runs this
-- once, when it initialises a new data volume, as POSTGRES_USER (akar), who then owns it.
CREATE DATABASE akar_rasa;
