-- Each service's result on each scorecard, one row per day (the last
-- evaluation of the day wins): its level, score and every rule's outcome,
-- so that trends and "when did it drop a level" are answered.
CREATE TABLE scorecard_results (
    scorecard     text NOT NULL,
    service       text NOT NULL,
    day           text NOT NULL,
    team          text,
    level         text,
    score         double precision NOT NULL,
    rules         text NOT NULL,
    evaluated_at  timestamptz NOT NULL,
    PRIMARY KEY (scorecard, service, day)
);
CREATE INDEX scorecard_results_service ON scorecard_results (service, day);
