CREATE TABLE "case_agency_messages" (
	"channel" text NOT NULL,
	"chat_id" text NOT NULL,
	"platform_message_id" text NOT NULL,
	"case_id" uuid NOT NULL,
	"agency_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "case_agency_messages_channel_chat_id_platform_message_id_pk" PRIMARY KEY("channel","chat_id","platform_message_id")
);
--> statement-breakpoint
ALTER TABLE "case_consents" ADD COLUMN "ended_by" text;--> statement-breakpoint
ALTER TABLE "case_agency_messages" ADD CONSTRAINT "case_agency_messages_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Messages already posted to agency chats keep answering their case: their links move out of the queue.
INSERT INTO "case_agency_messages" ("channel", "chat_id", "platform_message_id", "case_id", "agency_id", "created_at")
SELECT o."channel", o."chat_id", o."platform_message_id", c."id", a."id", o."created_at"
FROM "outbox" o
JOIN "agencies" a ON a."channel_type" = o."channel" AND a."channel_address" = o."chat_id"
JOIN "cases" c ON c."id"::text = o."payload"->>'caseId'
WHERE o."platform_message_id" IS NOT NULL AND o."kind" = 'notice'
ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- Contacts copied in clear into messages already sent to agencies are erased: the case holds the only copy now.
UPDATE "outbox" SET "payload" = "payload" #- '{event,data,contact}'
WHERE "kind" = 'agency_event' AND "status" IN ('sent', 'dead') AND "payload" #> '{event,data,contact}' IS NOT NULL;
--> statement-breakpoint
UPDATE "outbox" o SET "payload" = jsonb_set(o."payload", '{text}', to_jsonb(regexp_replace(o."payload"->>'text', '联系方式：[^\n]*', '联系方式：（已删除）')))
FROM "agencies" a
WHERE o."kind" = 'notice' AND o."status" IN ('sent', 'dead') AND a."channel_type" = o."channel" AND a."channel_address" = o."chat_id" AND o."payload" ? 'caseId';
