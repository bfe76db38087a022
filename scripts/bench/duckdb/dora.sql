-- The DORA definitions of docs/metrics.md as SQL for DuckDB (>= 1.3).
--
-- Reads the tables export.py writes (services, service_paths, commits,
-- commit_parents, commit_files, deployments, incidents: Parquet views or
-- tables of those names) and the window [since, until) from two variables
-- in microseconds since the epoch:
--
--   SET VARIABLE since_us = 1767225600000000;
--   SET VARIABLE until_us = 1775001600000000;
--
-- It leaves two temporary tables: report_service (one row per catalog
-- Component) and report_org (one row, the organisation). Statements end with
-- a semicolon at the end of a line (run.py splits on that).
--
-- Like the product, everything about a service is computed over its whole
-- history (change sets and rollbacks depend on deployments before any
-- window); the window only selects which facts are summarised.

-- Scope: every catalog Component.
CREATE OR REPLACE TEMP TABLE svc AS
SELECT s.service, s.repo,
       EXISTS (SELECT 1 FROM service_paths p WHERE p.service = s.service) AS has_paths
FROM services s;

-- Counted deployments (successful, production, finished) of catalog
-- services, numbered per service in finish order, ties by key.
CREATE OR REPLACE TEMP TABLE dep0 AS
SELECT d.key, d.service, lower(trim(d.sha)) AS sha, d.finished_us, coalesce(d.hotfix, 0) = 1 AS hotfix,
       row_number() OVER (PARTITION BY d.service ORDER BY d.finished_us, d.key) AS ord
FROM deployments d JOIN svc s ON s.service = d.service
WHERE d.production = 1 AND d.status = 'success' AND d.finished_us IS NOT NULL;

-- The deployed commit in the service's repository: the full sha, else an
-- abbreviation (7+ hex digits) that exactly one commit starts with.
CREATE OR REPLACE TEMP TABLE dep AS
WITH exact AS (
    SELECT d.service, d.ord, c.id
    FROM dep0 d JOIN svc s ON s.service = d.service
    JOIN commits c ON c.repo = s.repo AND c.sha = d.sha
), abbreviated AS (
    SELECT d.service, d.ord, min(c.id) AS id, count(*) AS n
    FROM dep0 d JOIN svc s ON s.service = d.service
    JOIN commits c ON c.repo = s.repo AND left(c.sha, 7) = left(d.sha, 7) AND starts_with(c.sha, d.sha)
    WHERE length(d.sha) BETWEEN 7 AND 39
      AND NOT EXISTS (SELECT 1 FROM exact e WHERE e.service = d.service AND e.ord = d.ord)
    GROUP BY ALL
), found AS (
    SELECT service, ord, id FROM exact
    UNION ALL
    SELECT service, ord, id FROM abbreviated WHERE n = 1
)
SELECT d.*, f.id AS commit_id
FROM dep0 d LEFT JOIN found f ON f.service = d.service AND f.ord = d.ord;

-- Each deployed commit's first deployment; the first deployment of a known
-- commit is the service's first (unknown change set).
CREATE OR REPLACE TEMP TABLE seed AS
SELECT service, commit_id, min(ord) AS ord FROM dep WHERE commit_id IS NOT NULL GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE first_dep AS
SELECT service, min(ord) AS first_ord FROM seed GROUP BY ALL;

-- Which deployment shipped each commit: the earliest (by ord) deployment of
-- the service whose commit reaches it. Each deployment walks down from its
-- commit and stops at the commit of any earlier deployment of the service
-- (that one reaches everything below it). The earliest deployment reaching a
-- commit always reaches it by a path through no earlier deployed commit, so
-- the minimum over these bounded walks equals the minimum over full
-- reachability, and a redeploy of a commit walks nothing.
CREATE OR REPLACE TEMP TABLE shipped AS
WITH RECURSIVE walk(service, ord, id) AS (
    SELECT service, ord, commit_id FROM seed
    UNION
    SELECT w.service, w.ord, p.parent_id
    FROM walk w JOIN commit_parents p ON p.id = w.id
    ANTI JOIN seed s ON s.service = w.service AND s.commit_id = p.parent_id AND s.ord < w.ord
)
SELECT service, id, min(ord) AS ord FROM walk GROUP BY ALL;

-- Changes: commits shipped by a deployment other than the service's first;
-- in a monorepo part (paved.dev/paths) only commits touching its paths.
CREATE OR REPLACE TEMP TABLE change AS
WITH later AS (
    SELECT s.service, s.ord, s.id
    FROM shipped s JOIN first_dep f ON f.service = s.service
    WHERE s.ord > f.first_ord
)
SELECT l.service, l.ord, l.id
FROM later l JOIN svc ON svc.service = l.service
WHERE NOT svc.has_paths
UNION ALL
SELECT DISTINCT l.service, l.ord, l.id
FROM later l JOIN service_paths g ON g.service = l.service
JOIN commit_files f ON f.id = l.id
WHERE f.path GLOB g.pattern;

CREATE OR REPLACE TEMP TABLE change_fact AS
SELECT c.service, c.ord, d.finished_us,
       (d.finished_us - k.committer_time * 1000000) / 1e6 AS lead_seconds,
       starts_with(lower(k.message), 'revert "') OR contains(lower(k.message), 'hotfix') AS rework_commit
FROM change c
JOIN dep d ON d.service = c.service AND d.ord = c.ord
JOIN commits k ON k.id = c.id;

-- Rollbacks: a deployment whose commit is a strict ancestor of the previous
-- counted deployment's commit. Only a commit an earlier deployment already
-- shipped can be one; the walk down from the previous commit keeps to
-- commits shipped no earlier than the candidate (every commit on a path down
-- to it reaches it, so was shipped no earlier).
CREATE OR REPLACE TEMP TABLE rollback AS
WITH RECURSIVE candidate AS (
    SELECT cur.service, cur.ord, cur.commit_id AS target, prev.commit_id AS start, s.ord AS floor
    FROM dep cur
    JOIN dep prev ON prev.service = cur.service AND prev.ord = cur.ord - 1
    JOIN shipped s ON s.service = cur.service AND s.id = cur.commit_id
    WHERE cur.commit_id IS NOT NULL AND prev.commit_id IS NOT NULL
      AND cur.commit_id <> prev.commit_id AND s.ord < cur.ord
), down(service, ord, target, floor, id) AS (
    SELECT service, ord, target, floor, start FROM candidate
    UNION
    SELECT d.service, d.ord, d.target, d.floor, p.parent_id
    FROM down d JOIN commit_parents p ON p.id = d.id
    JOIN shipped s ON s.service = d.service AND s.id = p.parent_id
    WHERE d.id <> d.target AND s.ord >= d.floor
)
SELECT DISTINCT service, ord FROM down WHERE id = target;

-- Incidents of catalog services; a resolution before a later reopening
-- does not count.
CREATE OR REPLACE TEMP TABLE inc AS
SELECT i.key, i.service, i.opened_us,
       CASE WHEN i.reopened_us IS NOT NULL AND i.resolved_us IS NOT NULL AND i.reopened_us > i.resolved_us
            THEN NULL ELSE i.resolved_us END AS resolved_us,
       i.caused_by, lower(trim(i.root_cause)) AS root_cause,
       i.caused_by IS NOT NULL OR i.root_cause IS NOT NULL AS explicit
FROM incidents i JOIN svc s ON s.service = i.service;

-- Root causes resolved to commits of the service's repository.
CREATE OR REPLACE TEMP TABLE root_cause AS
WITH exact AS (
    SELECT i.key, i.service, c.id
    FROM inc i JOIN svc s ON s.service = i.service
    JOIN commits c ON c.repo = s.repo AND c.sha = i.root_cause
    WHERE i.root_cause IS NOT NULL
), abbreviated AS (
    SELECT i.key, i.service, min(c.id) AS id, count(*) AS n
    FROM inc i JOIN svc s ON s.service = i.service
    JOIN commits c ON c.repo = s.repo AND left(c.sha, 7) = left(i.root_cause, 7) AND starts_with(c.sha, i.root_cause)
    WHERE length(i.root_cause) BETWEEN 7 AND 39
      AND NOT EXISTS (SELECT 1 FROM exact e WHERE e.key = i.key)
    GROUP BY ALL
)
SELECT key, service, id FROM exact
UNION ALL
SELECT key, service, id FROM abbreviated WHERE n = 1;

-- Incidents linked to deployments: (a) by cause or by root cause (a commit
-- the deployment shipped, not the service's first), (c) the latest
-- deployment finished at or before an incident with no explicit link, at
-- most 24 hours before it opened.
CREATE OR REPLACE TEMP TABLE link AS
WITH by_cause AS (
    SELECT i.key, i.service, d.ord, 1 AS rule
    FROM inc i JOIN dep d ON d.service = i.service AND d.key = i.caused_by
), by_root_cause AS (
    SELECT r.key, r.service, s.ord, 1 AS rule
    FROM root_cause r
    JOIN shipped s ON s.service = r.service AND s.id = r.id
    JOIN first_dep f ON f.service = r.service
    WHERE s.ord > f.first_ord
      AND NOT EXISTS (SELECT 1 FROM by_cause b WHERE b.key = r.key AND b.ord = s.ord)
), last_at AS (
    SELECT service, finished_us, max(ord) AS ord FROM dep GROUP BY ALL
), by_window AS (
    SELECT i.key, i.service, l.ord, 3 AS rule
    FROM (SELECT * FROM inc WHERE NOT explicit AND opened_us IS NOT NULL) i
    ASOF JOIN last_at l ON l.service = i.service AND i.opened_us >= l.finished_us
    WHERE i.opened_us - l.finished_us <= 86400000000
)
SELECT l.*, i.opened_us, i.resolved_us
FROM (SELECT * FROM by_cause UNION ALL SELECT * FROM by_root_cause UNION ALL SELECT * FROM by_window) l
JOIN inc i ON i.key = l.key;

-- One row per counted deployment with everything the figures need.
CREATE OR REPLACE TEMP TABLE dep_fact AS
WITH rolled_back AS (
    SELECT r.service, r.ord - 1 AS ord, d.finished_us AS rollback_finished_us
    FROM rollback r JOIN dep d ON d.service = r.service AND d.ord = r.ord
), rework_commit AS (
    SELECT DISTINCT service, ord FROM change_fact WHERE rework_commit
), remediation AS (
    SELECT DISTINCT d.service, d.ord
    FROM dep d JOIN inc i ON i.service = d.service
    WHERE i.opened_us IS NOT NULL AND i.resolved_us IS NOT NULL
      AND i.opened_us <= d.finished_us AND d.finished_us < i.resolved_us
      AND i.resolved_us - d.finished_us <= 86400000000
), linked AS (
    SELECT service, ord, min(rule) AS rule, min(opened_us) AS impact_us,
           CASE WHEN count(*) = count(resolved_us) THEN max(resolved_us) END AS restored_us
    FROM link GROUP BY ALL
)
SELECT d.service, d.ord, d.key, d.finished_us, d.commit_id,
       CASE WHEN d.commit_id IS NULL THEN 'unknown_commit'
            WHEN d.ord = f.first_ord THEN 'first'
            ELSE 'known' END AS change_set,
       CASE least(l.rule, CASE WHEN rb.ord IS NOT NULL THEN 2 END)
            WHEN 1 THEN 'incident' WHEN 2 THEN 'rollback' WHEN 3 THEN 'attribution_window' END AS failed_rule,
       -- Recovery: impact (earliest linked opening, else the finish) to
       -- restoration (latest linked resolution, else the rollback's finish).
       CASE WHEN l.ord IS NOT NULL THEN (l.restored_us - coalesce(l.impact_us, d.finished_us)) / 1e6
            ELSE (rb.rollback_finished_us - d.finished_us) / 1e6 END AS recovery_seconds,
       r.ord IS NOT NULL OR m.ord IS NOT NULL OR d.hotfix OR w.ord IS NOT NULL AS rework
FROM dep d
LEFT JOIN first_dep f ON f.service = d.service
LEFT JOIN linked l ON l.service = d.service AND l.ord = d.ord
LEFT JOIN rolled_back rb ON rb.service = d.service AND rb.ord = d.ord
LEFT JOIN rollback r ON r.service = d.service AND r.ord = d.ord
LEFT JOIN remediation m ON m.service = d.service AND m.ord = d.ord
LEFT JOIN rework_commit w ON w.service = d.service AND w.ord = d.ord;

-- The window's figures, per service and for the organisation (grouping
-- sets: service NULL is the organisation).
CREATE OR REPLACE TEMP TABLE fig_dep AS
SELECT service,
       count(*) AS deployments,
       count(failed_rule) AS failed,
       count(*) FILTER (WHERE failed_rule = 'incident') AS failed_incident,
       count(*) FILTER (WHERE failed_rule = 'rollback') AS failed_rollback,
       count(*) FILTER (WHERE failed_rule = 'attribution_window') AS failed_attribution_window,
       count(*) FILTER (WHERE rework) AS rework,
       count(*) FILTER (WHERE failed_rule IS NOT NULL AND recovery_seconds >= 0) AS recoveries,
       quantile_cont(recovery_seconds, 0.5) FILTER (WHERE failed_rule IS NOT NULL AND recovery_seconds >= 0) AS recovery_median,
       count(*) FILTER (WHERE failed_rule IS NOT NULL AND recovery_seconds IS NULL) AS recovery_pending,
       count(*) FILTER (WHERE failed_rule IS NOT NULL AND recovery_seconds < 0) AS recovery_negative,
       count(*) FILTER (WHERE change_set = 'first') AS first_deployment,
       count(*) FILTER (WHERE change_set = 'unknown_commit') AS unknown_commit
FROM dep_fact
WHERE finished_us >= getvariable('since_us') AND finished_us < getvariable('until_us')
GROUP BY GROUPING SETS ((service), ());

CREATE OR REPLACE TEMP TABLE fig_lead AS
SELECT service,
       count(*) FILTER (WHERE lead_seconds >= 0) AS changes,
       quantile_cont(lead_seconds, 0.5) FILTER (WHERE lead_seconds >= 0) AS lead_median,
       quantile_cont(lead_seconds, 0.9) FILTER (WHERE lead_seconds >= 0) AS lead_p90,
       count(*) FILTER (WHERE lead_seconds < 0) AS lead_negative
FROM change_fact
WHERE finished_us >= getvariable('since_us') AND finished_us < getvariable('until_us')
GROUP BY GROUPING SETS ((service), ());

CREATE OR REPLACE TEMP TABLE fig_restore AS
SELECT service,
       count(*) FILTER (WHERE resolved_us - opened_us >= 0) AS incidents,
       quantile_cont((resolved_us - opened_us) / 1e6, 0.5) FILTER (WHERE resolved_us - opened_us >= 0) AS restore_median,
       count(*) FILTER (WHERE resolved_us IS NULL) AS open_incident,
       count(*) FILTER (WHERE resolved_us - opened_us < 0) AS restore_negative
FROM inc
WHERE opened_us >= getvariable('since_us') AND opened_us < getvariable('until_us')
GROUP BY GROUPING SETS ((service), ());

-- Deployment days per ISO week overlapping the window (cut to it), weeks
-- without any included; the median over the weeks.
CREATE OR REPLACE TEMP TABLE fig_days AS
WITH week AS (
    SELECT unnest(generate_series(
        date_trunc('week', make_timestamp(getvariable('since_us'))),
        make_timestamp(getvariable('until_us') - 1),
        INTERVAL 7 DAY)) AS week
), day AS (
    SELECT DISTINCT service, CAST(make_timestamp(finished_us) AS DATE) AS day
    FROM dep_fact
    WHERE finished_us >= getvariable('since_us') AND finished_us < getvariable('until_us')
), per_service AS (
    SELECT s.service, w.week, count(d.day) AS days
    FROM svc s CROSS JOIN week w
    LEFT JOIN day d ON d.service = s.service AND date_trunc('week', d.day) = w.week
    GROUP BY ALL
), per_org AS (
    SELECT w.week, count(DISTINCT d.day) AS days
    FROM week w LEFT JOIN day d ON date_trunc('week', d.day) = w.week
    GROUP BY ALL
)
SELECT service, quantile_cont(days, 0.5) AS days_per_week FROM per_service GROUP BY ALL
UNION ALL
SELECT NULL, quantile_cont(days, 0.5) FROM per_org;

CREATE OR REPLACE TEMP TABLE fig_notes AS
SELECT NULL::VARCHAR AS service,
       (SELECT count(*) FROM inc i WHERE i.caused_by IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM dep d WHERE d.service = i.service AND d.key = i.caused_by)) AS unknown_deployment_link,
       (SELECT count(*) FROM deployments d WHERE d.service IS NULL OR d.service NOT IN (SELECT service FROM svc))
     + (SELECT count(*) FROM incidents i WHERE i.service IS NULL OR i.service NOT IN (SELECT service FROM svc)) AS without_service;

CREATE OR REPLACE TEMP TABLE report_all AS
WITH scope AS (SELECT service FROM svc UNION ALL SELECT NULL)
SELECT s.service,
       coalesce(d.deployments, 0) AS deployments,
       round(coalesce(d.deployments, 0) / ((getvariable('until_us') - getvariable('since_us')) / 86400e6), 3) AS per_day,
       coalesce(y.days_per_week, 0) AS median_deploy_days_per_week,
       coalesce(l.changes, 0) AS changes,
       round(l.lead_median, 3) AS lead_time_median_seconds,
       round(l.lead_p90, 3) AS lead_time_p90_seconds,
       coalesce(d.failed, 0) AS failed,
       CASE WHEN d.deployments > 0 THEN round(d.failed / d.deployments, 3) END AS change_failure_rate,
       coalesce(d.failed_incident, 0) AS failed_incident,
       coalesce(d.failed_rollback, 0) AS failed_rollback,
       coalesce(d.failed_attribution_window, 0) AS failed_attribution_window,
       coalesce(d.recoveries, 0) AS recoveries,
       round(d.recovery_median, 3) AS recovery_median_seconds,
       coalesce(r.incidents, 0) AS restored_incidents,
       round(r.restore_median, 3) AS restore_median_seconds,
       coalesce(d.rework, 0) AS rework,
       CASE WHEN d.deployments > 0 THEN round(d.rework / d.deployments, 3) END AS rework_rate,
       coalesce(l.lead_negative, 0) + coalesce(d.recovery_negative, 0) + coalesce(r.restore_negative, 0) AS negative_duration,
       coalesce(d.first_deployment, 0) AS first_deployment,
       coalesce(d.unknown_commit, 0) AS unknown_commit,
       coalesce(r.open_incident, 0) AS open_incident,
       coalesce(d.recovery_pending, 0) AS recovery_pending
FROM scope s
LEFT JOIN fig_dep d ON d.service IS NOT DISTINCT FROM s.service
LEFT JOIN fig_lead l ON l.service IS NOT DISTINCT FROM s.service
LEFT JOIN fig_restore r ON r.service IS NOT DISTINCT FROM s.service
LEFT JOIN fig_days y ON y.service IS NOT DISTINCT FROM s.service;

CREATE OR REPLACE TEMP TABLE report_service AS
SELECT * FROM report_all WHERE service IS NOT NULL ORDER BY service;

CREATE OR REPLACE TEMP TABLE report_org AS
SELECT a.* EXCLUDE (service), n.unknown_deployment_link, n.without_service
FROM report_all a, fig_notes n WHERE a.service IS NULL;
