-- Each service's result on each scorecard, one row per day (the last
-- evaluation of the day wins): its level, score and every rule's outcome,
-- so that trends and "when did it drop a level" are answered.
CREATE TABLE scorecard_results (
    scorecard     TEXT NOT NULL,
    service       TEXT NOT NULL,
    day           TEXT NOT NULL,
    team          TEXT,
    level         TEXT,
    score         REAL NOT NULL,
    rules         TEXT NOT NULL,
    evaluated_at  TEXT NOT NULL,
    PRIMARY KEY (scorecard, service, day)
);
CREATE INDEX scorecard_results_service ON scorecard_results (service, day);
