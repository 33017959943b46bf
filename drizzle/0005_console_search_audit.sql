-- Written by hand (drizzle-kit cannot express functions, expression indexes or triggers).
-- Chinese text search in the console: the distinct characters and character pairs of a text. A GIN index
-- over them finds the rows holding every pair of a search term; ILIKE then checks the exact substring.
-- Works on PGlite and Postgres alike, without pg_trgm (whose trigrams miss two-character Chinese terms).
CREATE OR REPLACE FUNCTION console_search_grams(input text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}'::text[])
  FROM (
    SELECT substr(s, i, n) AS g
    FROM (SELECT lower(input) AS s) AS t,
         generate_series(1, char_length(s)) AS i,
         (VALUES (1), (2)) AS sizes(n)
    WHERE i + n - 1 <= char_length(s)
  ) AS grams
  WHERE g !~ '[[:space:][:punct:]]'
$$;
--> statement-breakpoint
-- A search term of one character looks for that character; a longer one for its pairs only.
CREATE OR REPLACE FUNCTION console_search_query(input text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN char_length(input) <= 1 THEN console_search_grams(input)
              ELSE coalesce((SELECT array_agg(g) FROM unnest(console_search_grams(input)) AS g WHERE char_length(g) = 2), '{}'::text[])
         END
$$;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "consultations_question_grams_idx" ON "consultations" USING gin (console_search_grams("question"));
--> statement-breakpoint
-- Keyset paging of the console list: (created_at, seq) < (cursor) walks this index.
CREATE INDEX IF NOT EXISTS "consultations_created_seq_idx" ON "consultations" ("created_at", "seq");
--> statement-breakpoint
-- The audit log is append-only for the application: rows are added, never changed or removed.
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_log_append_only ON "audit_log";
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
