CREATE TABLE "wecom_cursors" (
	"open_kfid" text PRIMARY KEY NOT NULL,
	"cursor" text DEFAULT '' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wecom_sessions" (
	"open_kfid" text NOT NULL,
	"external_userid" text NOT NULL,
	"last_message_at" timestamp with time zone NOT NULL,
	"sent" integer DEFAULT 0 NOT NULL,
	"reserved_for" bigint,
	"reserved_parts" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "wecom_sessions_open_kfid_external_userid_pk" PRIMARY KEY("open_kfid","external_userid")
);
