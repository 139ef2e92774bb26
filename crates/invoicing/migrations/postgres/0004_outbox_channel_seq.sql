-- The outbox as an event log per channel (see store/event_log.rs). Keep in step with
-- ../sqlite/0003_outbox_channel_seq.sql.
-- channel_seq: the row's position in its channel, 1, 2, 3… with no gaps. It is taken from
-- channel_positions in the change's transaction, whose row stays locked until that
-- transaction ends; so a reader that has seen position n has seen every position below n.
-- channel_positions outlives purged outbox rows: numbering never restarts.

ALTER TABLE outbox ADD COLUMN channel_seq BIGINT NOT NULL DEFAULT 0;
UPDATE outbox SET channel_seq = (
    SELECT COUNT(*) FROM outbox AS earlier
    WHERE earlier.channel = outbox.channel AND earlier.seq <= outbox.seq
);
CREATE UNIQUE INDEX outbox_by_channel ON outbox (channel, channel_seq);

CREATE TABLE channel_positions (
    channel TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
INSERT INTO channel_positions (channel, last_seq)
    SELECT channel, MAX(channel_seq) FROM outbox GROUP BY channel;
