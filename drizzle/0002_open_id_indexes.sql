CREATE INDEX "inbox_open_id_idx" ON "inbox" USING btree ("id") WHERE "inbox"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "outbox_open_channel_id_idx" ON "outbox" USING btree ("channel","id") WHERE "outbox"."status" in ('pending', 'sending');--> statement-breakpoint
-- Queue tables churn (every row is updated two or three times within seconds): vacuum and analyze them far
-- sooner than the defaults (20 % / 10 % of the table), so claims see fresh statistics and few dead entries.
ALTER TABLE "inbox" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);--> statement-breakpoint
ALTER TABLE "outbox" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
