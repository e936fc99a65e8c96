-- docker-compose: Airflow keeps its own metadata in a second database of the same server.
CREATE DATABASE airflow;
