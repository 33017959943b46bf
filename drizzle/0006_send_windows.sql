CREATE TABLE "send_windows" (
	"key" text PRIMARY KEY NOT NULL,
	"slots_ms" double precision[] NOT NULL
);
