-- Failed sign-ins are now counted per username and source address (edited by hand: drizzle-kit cannot name
-- the old primary key, Postgres' default console_login_attempts_pkey). The old counts are dropped: they are
-- short-lived throttle state keyed the old way.
DELETE FROM "console_login_attempts";--> statement-breakpoint
ALTER TABLE "console_login_attempts" DROP CONSTRAINT "console_login_attempts_pkey";--> statement-breakpoint
ALTER TABLE "console_login_attempts" ADD COLUMN "address" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "console_login_attempts" ADD CONSTRAINT "console_login_attempts_username_address_pk" PRIMARY KEY("username","address");--> statement-breakpoint
ALTER TABLE "console_sessions" ADD COLUMN "stage" text DEFAULT 'full' NOT NULL;--> statement-breakpoint
ALTER TABLE "staff_accounts" ADD COLUMN "password_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "staff_accounts" ADD COLUMN "totp_secret" text;--> statement-breakpoint
ALTER TABLE "staff_accounts" ADD COLUMN "totp_enabled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "staff_accounts" ADD COLUMN "totp_last_step" bigint;--> statement-breakpoint
ALTER TABLE "staff_accounts" ADD COLUMN "recovery_codes" jsonb;
