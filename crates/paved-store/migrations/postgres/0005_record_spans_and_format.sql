-- Shifts are found by their Schedule and by the span they cover: a shift
-- that began long before a window and still covers it is part of it. Until
-- now a shift's Schedule was kept in `status` and shifts were looked up by
-- their start alone.
ALTER TABLE records ADD COLUMN schedule text;
-- The end of a record that covers a span (a shift), microseconds since the
-- epoch; NULL for records that are instants.
ALTER TABLE records ADD COLUMN end_us bigint;
-- The version of the serialised form in `body`. Version 1 is the JSON
-- written since migration 0003; a reader refuses a version it does not know
-- instead of misreading it.
ALTER TABLE records ADD COLUMN format integer NOT NULL DEFAULT 1;

-- Stored shifts move to the new columns (exact to the microsecond).
UPDATE records
   SET schedule = status,
       status = 'recorded',
       end_us = CAST(floor(extract(epoch FROM (body::jsonb ->> 'end')::timestamptz) * 1000000) AS bigint)
 WHERE kind = 'shift';

CREATE INDEX records_by_schedule ON records (kind, schedule, end_us);
