CREATE TABLE "approved_answer_hits" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "approved_answer_hits_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"answer_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"question" text NOT NULL,
	"similarity" real NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approved_answer_versions" (
	"answer_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"status" text DEFAULT 'proposed' NOT NULL,
	"question" text NOT NULL,
	"answer" text NOT NULL,
	"citations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"source_consultation_id" uuid,
	"author_id" uuid NOT NULL,
	"approver_id" uuid,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "approved_answer_versions_answer_id_version_pk" PRIMARY KEY("answer_id","version"),
	CONSTRAINT "approved_answer_versions_status_check" CHECK ("approved_answer_versions"."status" in ('proposed', 'approved', 'rejected')),
	CONSTRAINT "approved_answer_versions_four_eyes_check" CHECK ("approved_answer_versions"."approver_id" is null or "approved_answer_versions"."approver_id" <> "approved_answer_versions"."author_id")
);
--> statement-breakpoint
CREATE TABLE "approved_answers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"current_version" integer,
	"hit_count" integer DEFAULT 0 NOT NULL,
	"last_hit_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "approved_answers_state_check" CHECK ("approved_answers"."state" in ('pending', 'active', 'retired'))
);
--> statement-breakpoint
CREATE TABLE "cache_revisions" (
	"name" text PRIMARY KEY NOT NULL,
	"revision" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console_daily_stats" (
	"day" date NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "console_daily_stats_day_kind_key_pk" PRIMARY KEY("day","kind","key")
);
--> statement-breakpoint
CREATE TABLE "console_login_attempts" (
	"username" text PRIMARY KEY NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"last_failure_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "console_rollup_days" (
	"day" date PRIMARY KEY NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consultation_reviews" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "consultation_reviews_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"consultation_id" uuid NOT NULL,
	"reviewer_id" uuid NOT NULL,
	"verdict" text NOT NULL,
	"note" text,
	"corrected_answer" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consultation_reviews_verdict_check" CHECK ("consultation_reviews"."verdict" in ('correct', 'incorrect'))
);
--> statement-breakpoint
CREATE TABLE "review_claims" (
	"consultation_id" uuid PRIMARY KEY NOT NULL,
	"reviewer_id" uuid NOT NULL,
	"locked_until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "approved_answer_hits" ADD CONSTRAINT "approved_answer_hits_answer_id_approved_answers_id_fk" FOREIGN KEY ("answer_id") REFERENCES "public"."approved_answers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approved_answer_versions" ADD CONSTRAINT "approved_answer_versions_answer_id_approved_answers_id_fk" FOREIGN KEY ("answer_id") REFERENCES "public"."approved_answers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approved_answer_versions" ADD CONSTRAINT "approved_answer_versions_source_consultation_id_consultations_id_fk" FOREIGN KEY ("source_consultation_id") REFERENCES "public"."consultations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approved_answer_versions" ADD CONSTRAINT "approved_answer_versions_author_id_staff_accounts_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."staff_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approved_answer_versions" ADD CONSTRAINT "approved_answer_versions_approver_id_staff_accounts_id_fk" FOREIGN KEY ("approver_id") REFERENCES "public"."staff_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_account_id_staff_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."staff_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultation_reviews" ADD CONSTRAINT "consultation_reviews_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultation_reviews" ADD CONSTRAINT "consultation_reviews_reviewer_id_staff_accounts_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."staff_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_claims" ADD CONSTRAINT "review_claims_consultation_id_consultations_id_fk" FOREIGN KEY ("consultation_id") REFERENCES "public"."consultations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_claims" ADD CONSTRAINT "review_claims_reviewer_id_staff_accounts_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."staff_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approved_answer_hits_answer_idx" ON "approved_answer_hits" USING btree ("answer_id","created_at");--> statement-breakpoint
CREATE INDEX "approved_answer_hits_created_at_idx" ON "approved_answer_hits" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "approved_answer_versions_status_idx" ON "approved_answer_versions" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "approved_answers_state_idx" ON "approved_answers" USING btree ("state","updated_at");--> statement-breakpoint
CREATE INDEX "console_sessions_account_idx" ON "console_sessions" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "consultation_reviews_consultation_idx" ON "consultation_reviews" USING btree ("consultation_id","id");--> statement-breakpoint
CREATE INDEX "case_events_type_created_idx" ON "case_events" USING btree ("type","created_at");--> statement-breakpoint
CREATE INDEX "cases_consultation_idx" ON "cases" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "cases_created_idx" ON "cases" USING btree ("created_at","id");