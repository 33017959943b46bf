-- UNLOGGED (written by hand; drizzle-kit has no option for it): a reservation then commits without waiting
-- for a WAL flush, and a crash of the server only empties windows that last a second.
CREATE UNLOGGED TABLE "send_windows" (
	"key" text PRIMARY KEY NOT NULL,
	"slots_ms" double precision[] NOT NULL
);
