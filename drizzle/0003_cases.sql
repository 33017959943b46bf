CREATE TABLE "case_consents" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "case_consents_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"case_id" uuid NOT NULL,
	"agency_id" text NOT NULL,
	"notice_version" text NOT NULL,
	"notice_hash" text NOT NULL,
	"notice_text" text NOT NULL,
	"data" text[] NOT NULL,
	"decision" text,
	"decided_via" text,
	"decided_at" timestamp with time zone,
	"withdrawn_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "case_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"case_id" uuid NOT NULL,
	"type" text NOT NULL,
	"actor" text NOT NULL,
	"from_status" text,
	"to_status" text,
	"agency_id" text,
	"details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "case_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"case_id" uuid NOT NULL,
	"from" text NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_timers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "case_timers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"case_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"agency_id" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"fired_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consultation_id" uuid,
	"channel" text NOT NULL,
	"bot_id" text NOT NULL,
	"chat_id" text,
	"user_id" text NOT NULL,
	"conversation_id" text NOT NULL,
	"reply_to" text,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"field" text,
	"service" text,
	"district" text,
	"agency_id" text,
	"tried_agencies" text[] DEFAULT '{}'::text[] NOT NULL,
	"question" text,
	"conversation" jsonb,
	"contact_cipher" text,
	"pending" text,
	"resolved" boolean,
	"rating" smallint,
	"rating_comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"erased_at" timestamp with time zone,
	CONSTRAINT "cases_status_check" CHECK (status in ('offered', 'awaiting_consent', 'requested', 'accepted', 'answered', 'completed', 'cancelled', 'staff_queue')),
	CONSTRAINT "cases_rating_check" CHECK ("cases"."rating" between 1 and 5)
);
--> statement-breakpoint
ALTER TABLE "escalations" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "escalations" CASCADE;--> statement-breakpoint
ALTER TABLE "staff_accounts" DROP CONSTRAINT "staff_accounts_agency_id_agencies_id_fk";
--> statement-breakpoint
DROP INDEX "outbox_inbox_uq";--> statement-breakpoint
DROP INDEX "outbox_consultation_uq";--> statement-breakpoint
ALTER TABLE "agencies" ALTER COLUMN "id" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "agencies" ALTER COLUMN "id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "staff_accounts" ALTER COLUMN "agency_id" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "example" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "fields" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "services" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "districts" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "capacity" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "agencies" ALTER COLUMN "capacity" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "contact" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "channel_type" text;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "channel_address" text;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "synced_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "inbox" ADD COLUMN "kind" text DEFAULT 'message' NOT NULL;--> statement-breakpoint
ALTER TABLE "inbox" ADD COLUMN "action" jsonb;--> statement-breakpoint
ALTER TABLE "inbox" ADD COLUMN "quoted" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "source" text;--> statement-breakpoint
UPDATE "outbox" SET "source" = coalesce('inbox:' || "inbox_id", 'consultation:' || "consultation_id", 'row:' || "id");--> statement-breakpoint
ALTER TABLE "outbox" ALTER COLUMN "source" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "kind" text DEFAULT 'answer' NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "platform_message_id" text;--> statement-breakpoint
ALTER TABLE "case_consents" ADD CONSTRAINT "case_consents_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_messages" ADD CONSTRAINT "case_messages_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_timers" ADD CONSTRAINT "case_timers_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_agency_id_agencies_id_fk" FOREIGN KEY ("agency_id") REFERENCES "public"."agencies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_consents_case_idx" ON "case_consents" USING btree ("case_id","id");--> statement-breakpoint
CREATE INDEX "case_events_case_idx" ON "case_events" USING btree ("case_id","id");--> statement-breakpoint
CREATE INDEX "case_messages_case_idx" ON "case_messages" USING btree ("case_id","id");--> statement-breakpoint
CREATE INDEX "case_timers_due_idx" ON "case_timers" USING btree ("due_at") WHERE fired_at is null and cancelled_at is null;--> statement-breakpoint
CREATE INDEX "case_timers_case_idx" ON "case_timers" USING btree ("case_id");--> statement-breakpoint
CREATE UNIQUE INDEX "cases_open_consultation_uq" ON "cases" USING btree ("consultation_id") WHERE status not in ('completed', 'cancelled');--> statement-breakpoint
CREATE INDEX "cases_status_idx" ON "cases" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "cases_agency_status_idx" ON "cases" USING btree ("agency_id","status");--> statement-breakpoint
CREATE INDEX "cases_user_idx" ON "cases" USING btree ("channel","user_id");--> statement-breakpoint
ALTER TABLE "staff_accounts" ADD CONSTRAINT "staff_accounts_agency_id_agencies_id_fk" FOREIGN KEY ("agency_id") REFERENCES "public"."agencies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_source_kind_uq" ON "outbox" USING btree ("source","kind");--> statement-breakpoint
CREATE INDEX "outbox_platform_message_idx" ON "outbox" USING btree ("channel","chat_id","platform_message_id") WHERE "outbox"."platform_message_id" is not null;--> statement-breakpoint
ALTER TABLE "agencies" DROP COLUMN "topics";--> statement-breakpoint
ALTER TABLE "agencies" DROP COLUMN "contact_channel";--> statement-breakpoint
ALTER TABLE "agencies" DROP COLUMN "contact_address";